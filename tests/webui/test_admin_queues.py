"""Admin pages for queues and system addresses: render, persist with audit fields, refuse agents."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from schema import AutoResponse, Queue, QueueAutoResponse, SystemAddress
from tests.webui.admin_support import post_form, sign_in_admin
from tests.webui.support import Client, WebEnv

pytestmark = pytest.mark.integration


def queue_form(name: str, group_id: int, **extra: str) -> dict[str, str]:
    return {
        "name": name, "group_id": str(group_id), "system_address_id": "1", "salutation_id": "1",
        "signature_id": "1", "follow_up_id": "1", "valid_id": "1", "first_response_time": "60",
        "first_response_notify": "80", **extra,
    }  # fmt: skip


def test_an_admin_creates_and_edits_a_queue_with_auto_responses(web: WebEnv, client: Client) -> None:
    login = sign_in_admin(web, client)
    assert client.get("/admin/queues/").status_code == 200
    assert client.get("/admin/queues/new").status_code == 200
    group_id = web.group("users")
    name = f"Sales {uuid.uuid4().hex[:6]}"
    with web.services.sessions() as session:
        reply = session.scalars(select(AutoResponse).where(AutoResponse.type_id == 1)).first()
    assert reply is not None
    response = post_form(
        client, "/admin/queues/new", queue_form(name, group_id, auto_response_1=str(reply.id))
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with web.services.sessions() as session:
        queue = session.scalars(select(Queue).where(Queue.name == name)).one()
        assert queue.first_response_time == 60 and queue.first_response_notify == 80
        assert queue.change_by == queue.create_by == web.user_id(login)
        linked = session.scalars(
            select(QueueAutoResponse.auto_response_id).where(QueueAutoResponse.queue_id == queue.id)
        )
        assert list(linked) == [reply.id]
    page = client.get(f"/admin/queues/{queue.id}").get_data(as_text=True)
    assert name in page and f'<option value="{reply.id}" selected>' in page
    response = post_form(
        client,
        f"/admin/queues/{queue.id}",
        queue_form(name + " EU", group_id, follow_up_lock="1", unlock_timeout="30"),
    )
    assert response.status_code == 302
    with web.services.sessions() as session:
        queue = session.get_one(Queue, queue.id)
        assert queue.name == name + " EU" and queue.follow_up_lock == 1 and queue.unlock_timeout == 30
        assert (
            session.scalars(select(QueueAutoResponse).where(QueueAutoResponse.queue_id == queue.id)).all()
            == []
        )
    assert name + " EU" in client.get("/admin/queues/").get_data(as_text=True)


def test_a_queue_form_with_problems_saves_nothing(web: WebEnv, client: Client) -> None:
    sign_in_admin(web, client)
    response = post_form(client, "/admin/queues/new", queue_form("Raw", web.group("users")))  # name taken
    assert response.status_code == 400 and "another queue has this name" in response.get_data(as_text=True)
    response = post_form(
        client, "/admin/queues/new", queue_form("", web.group("users"), first_response_time="x")
    )
    assert response.status_code == 400 and "a whole number" in response.get_data(as_text=True)


def test_an_admin_adds_a_system_address(web: WebEnv, client: Client) -> None:
    sign_in_admin(web, client)
    queue_id = web.queue("users")
    email = f"help-{uuid.uuid4().hex[:6]}@example.org"
    data = {"value0": email, "value1": "Help desk", "queue_id": str(queue_id), "valid_id": "1"}
    assert post_form(client, "/admin/addresses/new", data).status_code == 302
    with web.services.sessions() as session:
        address = session.scalars(select(SystemAddress).where(SystemAddress.value0 == email)).one()
        assert address.value1 == "Help desk" and address.queue_id == queue_id
    assert email in client.get("/admin/addresses/").get_data(as_text=True)
    assert post_form(client, "/admin/addresses/new", data).status_code == 400  # same address twice
    edited = {**data, "value1": "Help desk EU", "valid_id": "2", "comments": "moved"}
    assert post_form(client, f"/admin/addresses/{address.id}", edited).status_code == 302
    with web.services.sessions() as session:
        changed = session.get_one(SystemAddress, address.id)
        assert (changed.value1, changed.valid_id, changed.comments) == ("Help desk EU", 2, "moved")
        assert changed.change_time >= address.change_time
    bad = {**data, "value0": "not an address"}
    assert post_form(client, "/admin/addresses/new", bad).status_code == 400
