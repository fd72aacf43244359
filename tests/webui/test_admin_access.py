"""Every admin page: renders for an admin, 403 for an agent (GET and POST, even with a valid token),
sign-in for anonymous visitors, and every POST without a CSRF token is refused (400) and changes nothing."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from flask import url_for
from sqlalchemy import select

from schema import InboundMail, InboundSource, MailAccount, Role, RoutingRule, Sla, SlaCalendar
from tests.webui.admin_support import post_form, sign_in_admin, sign_in_agent
from tests.webui.support import Client, WebEnv, mail

pytestmark = pytest.mark.integration
SEEDED = {
    "queues": 1,
    "addresses": 1,
    "agents": 1,
    "auto_responses": 1,
    "templates": 1,
    "salutations": 1,
    "signatures": 1,
}


def _created(web: WebEnv) -> dict[str, int]:
    """Ids of one object of each kind the seed does not ship (made through the admin pages)."""
    web.app.test_client_class = Client
    client = web.app.test_client()
    assert isinstance(client, Client)
    client.environ_base["REMOTE_ADDR"] = "10.250.0.1"
    sign_in_admin(web, client)
    tag = uuid.uuid4().hex[:6]
    forms = {
        "/admin/mail-accounts/new": {
            "account_type": "IMAP",
            "host": "127.0.0.1:1",
            "login": f"l{tag}",
            "pw": "x",
            "queue_id": "0",
            "after_fetch": "move",
            "valid_id": "1",
            "comments": tag,
        },
        "/admin/slas/new": {
            "name": f"sla {tag}",
            "first_response_time": "1",
            "update_time": "1",
            "solution_time": "1",
            "valid_id": "1",
        },
        "/admin/calendars/new": {"name": f"cal {tag}", "time_zone": "UTC", "day_mon": "08:00-17:00"},
        "/admin/roles/new": {"name": f"role {tag}", "comments": tag, "valid_id": "1"},
        "/admin/rules/new": {
            "name": f"rule {tag}",
            "enabled": "1",
            "cond-0-field": "subject",
            "cond-0-operator": "contains",
            "cond-0-value": tag,
        },
    }
    for path, data in forms.items():
        assert post_form(client, path, data).status_code == 302, path
    accepted = web.services.intake.accept(mail(subject=tag), InboundSource.SMTP)
    with web.services.sessions.begin() as session:
        session.get_one(InboundMail, accepted.spool_id).state = "failed"
        return {
            "mail_accounts": session.scalars(select(MailAccount.id).where(MailAccount.comments == tag)).one(),
            "slas": session.scalars(select(Sla.id).where(Sla.name == f"sla {tag}")).one(),
            "calendars": session.scalars(
                select(SlaCalendar.id).where(SlaCalendar.name == f"cal {tag}")
            ).one(),
            "rules": session.scalars(select(RoutingRule.id).where(RoutingRule.name == f"rule {tag}")).one(),
            "roles": session.scalars(select(Role.id).where(Role.name == f"role {tag}")).one(),
            "spool": accepted.spool_id,
        }


@pytest.fixture(scope="module")
def pages(web: WebEnv) -> Iterator[list[tuple[str, str, str]]]:
    """(endpoint, method, url) of every admin route, with real ids filled in."""
    ids = {**SEEDED, **_created(web)}
    found = []
    with web.app.test_request_context():
        for rule in web.app.url_map.iter_rules():
            if not rule.endpoint.startswith("admin."):
                continue
            area = (
                next(
                    key
                    for key in sorted(ids, key=len, reverse=True)
                    if rule.endpoint.startswith(f"admin.{key}")
                )
                if rule.arguments
                else ""
            )
            url = url_for(rule.endpoint, **dict.fromkeys(rule.arguments, ids.get(area)))
            found += [
                (rule.endpoint, method, url) for method in sorted((rule.methods or set()) & {"GET", "POST"})
            ]
    yield found


def test_every_admin_route_is_covered(pages: list[tuple[str, str, str]]) -> None:
    endpoints = {endpoint for endpoint, _, _ in pages}
    assert len(endpoints) >= 40 and len([p for p in pages if p[1] == "POST"]) >= 25
    for needed in (
        "admin.rules_test",
        "admin.spool_retry",
        "admin.mail_accounts_test",
        "admin.calendars_edit",
        "admin.roles_list",
        "admin.roles_new",
        "admin.roles_edit",
    ):
        assert needed in endpoints


def test_every_admin_page_renders_for_an_admin(
    web: WebEnv, client: Client, pages: list[tuple[str, str, str]]
) -> None:
    sign_in_admin(web, client)
    for endpoint, method, url in pages:
        if method == "GET":
            response = client.get(url)
            assert response.status_code == 200, (endpoint, url, response.status_code)


def test_an_agent_gets_403_everywhere_even_with_a_valid_token(
    web: WebEnv, client: Client, pages: list[tuple[str, str, str]]
) -> None:
    sign_in_agent(web, client)
    token = client.csrf("/")
    for endpoint, method, url in pages:
        response = client.get(url) if method == "GET" else client.post(url, data={"csrf_token": token})
        assert response.status_code == 403, (endpoint, method, url, response.status_code)


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, pages: list[tuple[str, str, str]]) -> None:
    for endpoint, method, url in pages:
        if method == "GET":
            response = client.get(url)
            assert response.status_code == 302 and response.headers["Location"].startswith("/login"), endpoint


def test_every_admin_form_refuses_a_missing_csrf_token(
    web: WebEnv, client: Client, pages: list[tuple[str, str, str]]
) -> None:
    sign_in_admin(web, client)
    with web.services.sessions() as session:
        rules_before = session.execute(
            select(RoutingRule.id, RoutingRule.enabled, RoutingRule.position)
        ).all()
        spool_before = session.execute(select(InboundMail.id, InboundMail.state, InboundMail.attempts)).all()
    for endpoint, method, url in pages:
        if method == "POST":
            response = client.post(url, data={"name": "no token", "enabled": "0", "direction": "up"})
            assert response.status_code == 400, (endpoint, url, response.status_code)
            assert "CSRF" in response.get_data(as_text=True), endpoint
    with web.services.sessions() as session:
        assert (
            session.execute(select(RoutingRule.id, RoutingRule.enabled, RoutingRule.position)).all()
            == rules_before
        )
        assert (
            session.execute(select(InboundMail.id, InboundMail.state, InboundMail.attempts)).all()
            == spool_before
        )
