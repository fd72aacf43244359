"""The gateway fixture: settings on the module's migrated database, services and the processor."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from mailgate.services import build_processor, build_services
from mailgate.settings import Settings
from tests.integration.pipeline.support import Gateway


@pytest.fixture(scope="module")
def gateway(engine: Engine, migrated_url: str) -> Iterator[Gateway]:
    settings = Settings(database_url=migrated_url, secret_key="test-secret", fqdn="mg.example.org")
    services = build_services(settings)
    yield Gateway(services, build_processor(services))
    services.close()
