"""The helpdesk fixture: services, processor and agents on a fresh database of each kind.

Every test runs on SQLite and PostgreSQL databases created by `mailgate init`, and on a PostgreSQL
database built by Znuny's own DDL and initial data to which `mailgate init` then attached (there
user_preferences, group_user and the rest are Znuny's own tables).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from mailgate.initdb import init_database
from mailgate.services import build_processor, build_services
from mailgate.settings import Settings
from tests.integration.agentmail.support import AUTHSERV_ID, SECRET, Helpdesk
from tests.support.znuny import load_znuny, require_znuny_files


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Znuny's DDL exists for PostgreSQL only: drop the SQLite + Znuny-schema combinations."""
    keep, drop = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        pair = (params.get("backend"), params.get("agentmail_url"))
        (drop if pair == ("sqlite", "znuny-schema") else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="module", params=["mailgate-schema", "znuny-schema"])
def agentmail_url(request: pytest.FixtureRequest, backend: str) -> str:
    """A database URL: mailgate's own schema, or Znuny's with mailgate attached."""
    if request.param == "mailgate-schema":
        url: str = request.getfixturevalue("migrated_url")
        return url
    if backend != "postgresql":
        pytest.skip("Znuny's own DDL is PostgreSQL's")
    require_znuny_files()
    make_database: Callable[[], str] = request.getfixturevalue("pg_url_factory")
    url = make_database()
    load_znuny(url)
    init_database(url)
    return url


@pytest.fixture(scope="module")
def helpdesk(agentmail_url: str) -> Iterator[Helpdesk]:
    settings = Settings(
        database_url=agentmail_url, secret_key=SECRET, fqdn="mg.example.org", authserv_id=AUTHSERV_ID
    )
    services = build_services(settings)
    yield Helpdesk.set_up(services, build_processor(services))
    services.close()
