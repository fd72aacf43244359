"""Web UI fixtures: the app on a migrated database of each backend, agents, queues and real tickets.

web           module   WebEnv: app (create_app), services, processor, helpers to make agents/queues
                       and to deliver real mails through mailgate.intake + InboundProcessor
client        function a Flask test client from its own random client address (lock-out counts per
                       address), with .csrf() (the page's token) and .login(login, password)
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from mailgate.services import build_processor, build_services
from mailgate.settings import Settings
from tests.webui.support import Client, WebEnv
from webui.app import create_app


@pytest.fixture(scope="module")
def web(migrated_url: str) -> Iterator[WebEnv]:
    settings = Settings(database_url=migrated_url, secret_key="webui-test-secret", fqdn="mg.example.org")
    services = build_services(settings)
    app = create_app(settings, services=services, TESTING=True)
    yield WebEnv(app, services, build_processor(services))
    services.close()


@pytest.fixture
def client(web: WebEnv) -> Iterator[Client]:
    web.app.test_client_class = Client
    address = f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"
    test_client = web.app.test_client()
    test_client.environ_base["REMOTE_ADDR"] = address
    assert isinstance(test_client, Client)
    yield test_client
