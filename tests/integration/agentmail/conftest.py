"""The helpdesk fixture: services, processor and agents on a fresh mailgate database of each backend."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mailgate.services import build_processor, build_services
from mailgate.settings import Settings
from tests.integration.agentmail.support import AUTHSERV_ID, SECRET, Helpdesk


@pytest.fixture(scope="module")
def helpdesk(migrated_url: str) -> Iterator[Helpdesk]:
    settings = Settings(
        database_url=migrated_url, secret_key=SECRET, fqdn="mg.example.org", authserv_id=AUTHSERV_ID
    )
    services = build_services(settings)
    yield Helpdesk.set_up(services, build_processor(services))
    services.close()
