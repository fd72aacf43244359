"""The internal note form offers a next state, like the reply form; by default the state stays."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import select

from schema import Article, TicketHistory, TicketHistoryType, TicketState
from tests.webui.support import Client, WebEnv, mail

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def desk(web: WebEnv) -> dict[str, object]:
    """A queue and an agent with rw on it."""
    tag = uuid.uuid4().hex[:6]
    return {"queue": web.queue(f"notes-{tag}", f"Notes {tag}"), "rw": web.agent({f"notes-{tag}": "rw"})}


@pytest.fixture
def agent(client: Client, desk: dict) -> Client:
    assert client.login(*desk["rw"]).status_code == 302
    return client


def state_id(web: WebEnv, name: str) -> int:
    with web.services.sessions() as session:
        return int(session.scalars(select(TicketState.id).where(TicketState.name == name)).one())


def history(web: WebEnv, ticket_id: int) -> list[str]:
    with web.services.sessions() as session:
        return list(
            session.scalars(
                select(TicketHistoryType.name)
                .join(TicketHistory, TicketHistory.history_type_id == TicketHistoryType.id)
                .where(TicketHistory.ticket_id == ticket_id)
                .order_by(TicketHistory.id)
            )
        )


def notes(web: WebEnv, ticket_id: int) -> int:
    with web.services.sessions() as session:
        found = session.scalars(
            select(Article.id).where(Article.ticket_id == ticket_id, Article.is_visible_for_customer == 0)
        )
        return len(found.all())


def post_note(client: Client, ticket_id: int, **data: str) -> object:
    token = client.csrf(f"/tickets/{ticket_id}/note")
    return client.post(f"/tickets/{ticket_id}/note", data={"csrf_token": token, "text": "Called.", **data})


def test_note_form_offers_the_states_with_no_change_preselected(
    web: WebEnv, agent: Client, desk: dict
) -> None:
    ticket_id = web.deliver(mail(), queue_id=desk["queue"])
    page = agent.get(f"/tickets/{ticket_id}/note").get_data(as_text=True)
    select_box = re.search(r'<select name="next_state_id">(.*?)</select>', page, re.S)
    assert select_box, page
    options = select_box.group(1)
    assert '<option value="">— unchanged (new)</option>' in options
    assert f'value="{state_id(web, "closed successful")}"' in options and "selected" not in options


def test_note_with_a_next_state_sets_it(web: WebEnv, agent: Client, desk: dict) -> None:
    ticket_id = web.deliver(mail(), queue_id=desk["queue"])
    closed = state_id(web, "closed successful")
    assert post_note(agent, ticket_id, next_state_id=str(closed)).status_code == 302  # type: ignore[attr-defined]
    assert web.ticket(ticket_id).ticket_state_id == closed
    assert history(web, ticket_id)[-2:] == ["AddNote", "StateUpdate"]


def test_note_without_a_next_state_keeps_the_state(web: WebEnv, agent: Client, desk: dict) -> None:
    ticket_id = web.deliver(mail(), queue_id=desk["queue"])
    before = web.ticket(ticket_id).ticket_state_id
    assert post_note(agent, ticket_id, next_state_id="").status_code == 302  # type: ignore[attr-defined]
    assert web.ticket(ticket_id).ticket_state_id == before
    assert history(web, ticket_id)[-1] == "AddNote" and notes(web, ticket_id) == 1


def test_a_pending_state_without_time_refuses_the_whole_note(web: WebEnv, agent: Client, desk: dict) -> None:
    ticket_id = web.deliver(mail(), queue_id=desk["queue"])
    before = history(web, ticket_id)
    pending = state_id(web, "pending reminder")
    response = post_note(agent, ticket_id, next_state_id=str(pending))
    page = response.get_data(as_text=True)  # type: ignore[attr-defined]
    assert response.status_code == 400 and "needs a pending time" in page  # type: ignore[attr-defined]
    assert "Called." in page and f'<option value="{pending}" data-pending="1" selected>' in page
    assert history(web, ticket_id) == before and notes(web, ticket_id) == 0
