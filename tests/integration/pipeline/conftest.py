"""The gateway fixture: services and processor on a fresh database of each kind.

Every pipeline scenario runs three times: on SQLite and on PostgreSQL databases created by
`mailgate init`, and on a PostgreSQL database built by Znuny's own DDL and initial data (its
foreign keys included) to which `mailgate init` then attached.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mailgate.services import build_processor, build_services
from mailgate.settings import Settings
from tests.integration.pipeline.support import Gateway


@pytest.fixture(scope="module")
def gateway(schema_url: str) -> Iterator[Gateway]:
    settings = Settings(database_url=schema_url, secret_key="test-secret", fqdn="mg.example.org")
    services = build_services(settings)
    yield Gateway(services, build_processor(services))
    services.close()
