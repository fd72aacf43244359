"""The gateway fixture: services and processor on a fresh database of each kind.

Every pipeline scenario runs three times: on SQLite and on PostgreSQL databases created by
`mailgate init`, and on a PostgreSQL database built by Znuny's own DDL and initial data (its
foreign keys included) to which `mailgate init` then attached.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from mailgate.initdb import init_database
from mailgate.services import build_processor, build_services
from mailgate.settings import Settings
from tests.integration.pipeline.support import Gateway
from tests.support.znuny import load_znuny, require_znuny_files


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Znuny's DDL exists for PostgreSQL only: drop the SQLite + Znuny-schema combinations."""
    keep, drop = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        pair = (params.get("backend"), params.get("gateway_url"))
        (drop if pair == ("sqlite", "znuny-schema") else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="module", params=["mailgate-schema", "znuny-schema"])
def gateway_url(request: pytest.FixtureRequest, backend: str) -> str:
    """A database URL for the scenarios: mailgate's own schema, or Znuny's with mailgate attached."""
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
def gateway(gateway_url: str) -> Iterator[Gateway]:
    settings = Settings(database_url=gateway_url, secret_key="test-secret", fqdn="mg.example.org")
    services = build_services(settings)
    yield Gateway(services, build_processor(services))
    services.close()
