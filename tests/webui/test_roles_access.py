"""Agents whose permissions come only through Znuny roles, in the web UI, on all three schemas (schema_url):
rw through a valid role signs in, sees and acts; ro through a role sees but cannot act; an invalid role
or permission_value 0 grants nothing; rw in 'admin' through a role opens the admin pages."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from mailgate.services import build_processor, build_services
from mailgate.settings import Settings
from schema import Article, GroupUser
from tests.support.roles import grant_through_role
from tests.webui.support import Client, WebEnv, mail
from webui.app import create_app

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def web(schema_url: str) -> Iterator[WebEnv]:
    """The web UI of tests/webui/conftest.py, here on schema_url (a Znuny-built database included)."""
    settings = Settings(database_url=schema_url, secret_key="webui-test-secret", fqdn="mg.example.org")
    services = build_services(settings)
    app = create_app(settings, services=services, TESTING=True)
    yield WebEnv(app, services, build_processor(services))
    services.close()


@pytest.fixture(scope="module")
def desk(web: WebEnv) -> dict[str, int]:
    """A queue of a fresh group and a ticket in it."""
    group_name = f"roles-{uuid.uuid4().hex[:6]}"
    queue_id = web.queue(group_name)
    ticket_id = web.deliver(mail(subject=f"Role ticket {group_name}"), queue_id=queue_id)
    return {"group": web.group(group_name), "queue": queue_id, "ticket": ticket_id}


def role_agent(web: WebEnv, group_id: int, key: str, **grant: int) -> tuple[str, str]:
    """A new agent without group_user rows holding `key` on the group through a role only."""
    login, password = web.agent()
    user_id = web.user_id(login)
    with web.services.sessions.begin() as session:
        grant_through_role(session, user_id, group_id, key, **grant)
        rows = session.scalar(select(func.count()).select_from(GroupUser).where(GroupUser.user_id == user_id))
    assert rows == 0
    return login, password


def signed_in(client: Client, who: tuple[str, str]) -> Client:
    assert client.login(*who).status_code == 302
    return client


def articles(web: WebEnv, ticket_id: int) -> int:
    with web.services.sessions() as session:
        return int(session.scalar(select(func.count()).where(Article.ticket_id == ticket_id)) or 0)


def add_note(client: Client, ticket_id: int) -> int:
    token = client.csrf("/")
    response = client.post(f"/tickets/{ticket_id}/note", data={"csrf_token": token, "text": "via role"})
    return response.status_code


def test_rw_through_a_role_sees_the_queue_and_acts(web: WebEnv, client: Client, desk: dict[str, int]) -> None:
    signed_in(client, role_agent(web, desk["group"], "rw"))
    listing = client.get(f"/tickets?queue={desk['queue']}")
    assert listing.status_code == 200 and "Role ticket" in listing.get_data(as_text=True)
    page = client.get(f"/tickets/{desk['ticket']}")
    assert page.status_code == 200 and 'id="action-reply"' in page.get_data(as_text=True)
    before = articles(web, desk["ticket"])
    assert add_note(client, desk["ticket"]) == 302
    assert articles(web, desk["ticket"]) == before + 1


def test_ro_through_a_role_sees_but_cannot_act(web: WebEnv, client: Client, desk: dict[str, int]) -> None:
    signed_in(client, role_agent(web, desk["group"], "ro"))
    assert client.get(f"/tickets?queue={desk['queue']}").status_code == 200
    page = client.get(f"/tickets/{desk['ticket']}")
    assert page.status_code == 200 and 'id="action-reply"' not in page.get_data(as_text=True)
    before = articles(web, desk["ticket"])
    assert add_note(client, desk["ticket"]) == 404
    assert articles(web, desk["ticket"]) == before


@pytest.mark.parametrize("grant", [{"role_valid": 2}, {"value": 0}])
def test_an_invalid_role_or_permission_value_0_shows_nothing(
    web: WebEnv, client: Client, desk: dict[str, int], grant: dict[str, int]
) -> None:
    signed_in(client, role_agent(web, desk["group"], "rw", **grant))
    assert client.get(f"/tickets?queue={desk['queue']}").status_code == 403
    assert client.get(f"/tickets/{desk['ticket']}").status_code == 404
    assert "Role ticket" not in client.get("/tickets").get_data(as_text=True)


def test_rw_in_admin_through_a_role_opens_the_admin_pages(web: WebEnv, client: Client) -> None:
    signed_in(client, role_agent(web, web.group("admin"), "rw"))
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/roles/").status_code == 200
