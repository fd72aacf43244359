"""Admin auto-responses and templates: persisted, previewed by the notifier on a sample ticket or a real
one without saving, and refused when the sandbox cannot render them."""

from __future__ import annotations

import html
import uuid

import pytest
from sqlalchemy import func, select

from schema import AutoResponse, Salutation, Signature, StandardTemplate, Ticket
from tests.webui.admin_support import post_form, sign_in_admin
from tests.webui.support import Client, WebEnv, mail

pytestmark = pytest.mark.integration
BODY = "Dear {{ customer.realname }},\n\nwe got your mail about <OTRS_CUSTOMER_SUBJECT[40]>.\n{{ signature }}"


def response_form(name: str, **extra: str) -> dict[str, str]:
    return {
        "name": name,
        "type_id": "1",
        "system_address_id": "1",
        "text1": "We got: <OTRS_CUSTOMER_SUBJECT[30]>",
        "text0": BODY,
        "content_type": "text/plain; charset=utf-8",
        "valid_id": "1",
        **extra,
    }


def count(web: WebEnv, model: type) -> int:
    with web.services.sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_an_auto_response_is_saved_and_previewed_on_the_sample_ticket(web: WebEnv, client: Client) -> None:
    login = sign_in_admin(web, client)
    name = f"thanks {uuid.uuid4().hex[:6]}"
    before = count(web, AutoResponse)
    preview = post_form(client, "/admin/auto-responses/new", {**response_form(name), "action": "preview"})
    assert preview.status_code == 200 and count(web, AutoResponse) == before  # a preview saves nothing
    page = html.unescape(preview.get_data(as_text=True))
    assert "Preview on a sample ticket" in page
    assert "[Ticket#2026112610000017] We got: Printer on floor 3 does not pr" in page
    assert "Dear Jane Doe," in page and "we got your mail about Printer on floor 3 does not print." in page
    assert post_form(client, "/admin/auto-responses/new", response_form(name)).status_code == 302
    with web.services.sessions() as session:
        row = session.scalars(select(AutoResponse).where(AutoResponse.name == name)).one()
        assert row.text0 == BODY and row.type_id == 1 and row.change_by == web.user_id(login)
    assert name in client.get("/admin/auto-responses/").get_data(as_text=True)
    edited = response_form(name, text1="Thanks!", type_id="3", valid_id="2")
    assert post_form(client, f"/admin/auto-responses/{row.id}", edited).status_code == 302
    with web.services.sessions() as session:
        changed = session.get_one(AutoResponse, row.id)
        assert (changed.text1, changed.type_id, changed.valid_id) == ("Thanks!", 3, 2)


def test_a_preview_on_a_real_ticket_uses_its_number_and_mail(web: WebEnv, client: Client) -> None:
    sign_in_admin(web, client)
    ticket_id = web.deliver(mail(subject="Coffee machine leaks", sender="Max Muster <max@customer.example>"))
    with web.services.sessions() as session:
        tn = session.get_one(Ticket, ticket_id).tn
    data = {**response_form("real preview"), "action": "preview", "preview_ticket": str(ticket_id)}
    page = html.unescape(post_form(client, "/admin/auto-responses/new", data).get_data(as_text=True))
    assert f"Preview on ticket {ticket_id}" in page and f"[Ticket#{tn}] We got: Coffee machine leaks" in page
    assert "Dear Max Muster," in page
    missing = {**data, "preview_ticket": "999999999"}
    assert "does not exist" in post_form(client, "/admin/auto-responses/new", missing).get_data(as_text=True)


@pytest.mark.parametrize(
    ("body", "why"),
    [("{{ ().__class__ }}", "SecurityError"), ("{{ unclosed", "TemplateSyntaxError")],
)
def test_a_text_the_sandbox_refuses_is_not_saved(web: WebEnv, client: Client, body: str, why: str) -> None:
    sign_in_admin(web, client)
    before = count(web, AutoResponse)
    response = post_form(
        client, "/admin/auto-responses/new", response_form(f"bad {uuid.uuid4().hex[:6]}", text0=body)
    )
    assert response.status_code == 400 and why in response.get_data(as_text=True)
    preview = post_form(
        client, "/admin/auto-responses/new", {**response_form("x", text0=body), "action": "preview"}
    )
    assert "Cannot render" in preview.get_data(as_text=True)
    assert count(web, AutoResponse) == before


@pytest.mark.parametrize(
    ("path", "model", "extra"),
    [
        ("/admin/templates", StandardTemplate, {"template_type": "Answer"}),
        ("/admin/salutations", Salutation, {}),
        ("/admin/signatures", Signature, {}),
    ],
)
def test_templates_salutations_and_signatures_are_saved_and_previewed(
    web: WebEnv, client: Client, path: str, model: type, extra: dict[str, str]
) -> None:
    sign_in_admin(web, client)
    name = f"text {uuid.uuid4().hex[:6]}"
    data = {
        "name": name,
        "text": "<p>Hello <OTRS_CUSTOMER_REALNAME>, ticket {{ ticket.number }}</p>",
        "content_type": "text/html; charset=utf-8",
        "valid_id": "1",
        **extra,
    }
    preview = post_form(client, f"{path}/new", {**data, "action": "preview", "preview_queue": "1"})
    text = html.unescape(preview.get_data(as_text=True))
    assert preview.status_code == 200 and "Hello Jane Doe, ticket 2026112610000017" in text
    assert post_form(client, f"{path}/new", data).status_code == 302
    with web.services.sessions() as session:
        row = session.scalars(select(model).where(model.name == name)).one()  # type: ignore[attr-defined]
        assert row.content_type == "text/html; charset=utf-8" and "{{ ticket.number }}" in row.text
    assert name in client.get(f"{path}/").get_data(as_text=True)
    assert client.get(f"{path}/{row.id}").status_code == 200
    edited = {**data, "text": "Plain {{ customer.first_name }}", "content_type": "text/plain; charset=utf-8"}
    assert post_form(client, f"{path}/{row.id}", edited).status_code == 302
    with web.services.sessions() as session:
        changed = session.get_one(model, row.id)
        assert changed.text == "Plain {{ customer.first_name }}" and changed.content_type.startswith(
            "text/plain"
        )
