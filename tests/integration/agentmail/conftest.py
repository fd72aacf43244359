"""The helpdesk fixture: services, processor and agents on a fresh database of each kind.

Every test runs on SQLite and PostgreSQL databases created by `mailgate init`, and on a PostgreSQL
database built by Znuny's own DDL and initial data to which `mailgate init` then attached (there
user_preferences, group_user and the rest are Znuny's own tables).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mailgate.services import build_processor, build_services
from mailgate.settings import Settings
from tests.integration.agentmail.support import AUTHSERV_ID, SECRET, Helpdesk


@pytest.fixture(scope="module")
def helpdesk(schema_url: str) -> Iterator[Helpdesk]:
    settings = Settings(
        database_url=schema_url, secret_key=SECRET, fqdn="mg.example.org", authserv_id=AUTHSERV_ID
    )
    services = build_services(settings)
    yield Helpdesk.set_up(services, build_processor(services))
    services.close()
