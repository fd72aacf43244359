"""Agents answering notifications from their mail client: stored, relayed (or not), commands, refusals."""

from __future__ import annotations

from datetime import timedelta

from mailgate.tickets.clock import epoch, now_utc
from mailgate.tokens import parse_message_id
from tests.integration.agentmail.support import CUSTOMER, SECRET, SUPPORT, Helpdesk, mail, new_id


def kinds(rows: list[tuple[str, str, int]]) -> list[str]:
    return [kind for kind, _, _ in rows]


def test_answer_is_stored_without_the_quote_and_queued_for_the_customer(helpdesk: Helpdesk) -> None:
    ticket_id, customer_message_id = helpdesk.new_ticket()
    before = len(helpdesk.outbox(ticket_id))
    done = helpdesk.answer(ticket_id, "Hello Jane,\n\nplease switch it off and on again.\n\nAlice")
    assert (done.state, done.outcome, done.ticket_id) == ("done", "agent_reply", ticket_id)
    assert done.article_id is not None
    article, mime, sender_type = helpdesk.article(done.article_id)
    assert sender_type == "agent" and article.is_visible_for_customer == 1
    assert article.create_by == helpdesk.alice.id
    assert mime.a_body == "Hello Jane,\n\nplease switch it off and on again.\n\nAlice"
    assert "wrote:" not in (mime.a_body or "") and "It does not print" not in (mime.a_body or "")
    assert mime.a_from == f"Alice Agent via Example Support <{SUPPORT}>"
    assert mime.a_to == CUSTOMER and mime.a_subject == "Printer broken"
    assert mime.a_in_reply_to == f"<{customer_message_id}>"
    token = parse_message_id(SECRET, mime.a_message_id or "")
    assert token is not None and token.ticket_id == ticket_id
    new_rows = helpdesk.outbox(ticket_id)[before:]
    assert [(row.kind, row.article_id, row.state) for row in new_rows] == [
        ("article", done.article_id, "pending")
    ]
    assert (
        new_rows[0].recipients == f'["{CUSTOMER}"]' and new_rows[0].dedupe_key == f"article:{done.article_id}"
    )
    assert helpdesk.state(ticket_id) == "open"  # a new ticket that was answered
    assert kinds(helpdesk.history(ticket_id))[-2:] == ["SendAnswer", "StateUpdate"]
    trace = helpdesk.trace(done.spool_id)
    assert trace["agent_mail"]["outcome"] == "agent_reply"  # type: ignore[index]
    assert trace["auto_response"] is None


def test_customer_reply_to_the_relayed_answer_threads_back(helpdesk: Helpdesk) -> None:
    ticket_id, _ = helpdesk.new_ticket()
    done = helpdesk.answer(ticket_id, "Does it print now?")
    assert done.article_id is not None
    _, mime, _ = helpdesk.article(done.article_id)
    assert mime.a_message_id is not None
    thread = (f"In-Reply-To: {mime.a_message_id}", f"References: {mime.a_message_id}")
    jane = f"Jane Doe <{CUSTOMER}>"
    reply = mail(jane, SUPPORT, "Re: Printer broken", "Yes, thank you!", new_id("customer.example"), thread)
    followup = helpdesk.deliver(reply)
    assert (followup.outcome, followup.ticket_id) == ("followup", ticket_id)


def test_note_is_internal_and_not_sent(helpdesk: Helpdesk) -> None:
    ticket_id, _ = helpdesk.new_ticket()
    before = len(helpdesk.outbox(ticket_id))
    done = helpdesk.answer(ticket_id, "#note\nCustomer called, printer is 10 years old.")
    assert (done.outcome, done.ticket_id) == ("agent_note", ticket_id)
    assert done.article_id is not None
    article, mime, sender_type = helpdesk.article(done.article_id)
    assert sender_type == "agent" and article.is_visible_for_customer == 0
    assert mime.a_body == "Customer called, printer is 10 years old."
    assert mime.a_from == f"Alice Agent <{helpdesk.alice.email}>"
    assert helpdesk.outbox(ticket_id)[before:] == []
    assert helpdesk.state(ticket_id) == "new"
    assert kinds(helpdesk.history(ticket_id))[-1] == "AddNote"


def test_close_changes_the_state_and_still_answers(helpdesk: Helpdesk) -> None:
    ticket_id, _ = helpdesk.new_ticket()
    done = helpdesk.answer(ticket_id, "#close\nGlad it works again.")
    assert done.outcome == "agent_reply" and done.article_id is not None
    _, mime, _ = helpdesk.article(done.article_id)
    assert mime.a_body == "Glad it works again."
    assert helpdesk.state(ticket_id) == "closed successful"
    history = helpdesk.history(ticket_id)
    assert ("StateUpdate", "%%new%%closed successful%%", helpdesk.alice.id) in history
    assert [row.kind for row in helpdesk.outbox(ticket_id)].count("article") == 1


def test_note_and_close_together(helpdesk: Helpdesk) -> None:
    ticket_id, _ = helpdesk.new_ticket()
    done = helpdesk.answer(ticket_id, "#note\n#close\nDuplicate of another ticket.")
    assert done.outcome == "agent_note"
    assert helpdesk.state(ticket_id) == "closed successful"
    assert [row.kind for row in helpdesk.outbox(ticket_id)].count("article") == 0


def test_pending_sets_state_and_pending_time(helpdesk: Helpdesk) -> None:
    ticket_id, _ = helpdesk.new_ticket()
    start = epoch(now_utc())
    done = helpdesk.answer(ticket_id, "#pending 2d\nPlease send us the model number.")
    assert done.outcome == "agent_reply"
    assert helpdesk.state(ticket_id) == "pending reminder"
    until = helpdesk.until_time(ticket_id)
    two_days = int(timedelta(days=2).total_seconds())
    assert start + two_days - 5 <= until <= epoch(now_utc()) + two_days + 5
    assert "SetPendingTime" in kinds(helpdesk.history(ticket_id))


def test_pending_without_duration_waits_one_day(helpdesk: Helpdesk) -> None:
    ticket_id, _ = helpdesk.new_ticket()
    start = epoch(now_utc())
    done = helpdesk.answer(ticket_id, "#pending\nWe are waiting for the spare part.")
    assert done.outcome == "agent_reply"
    assert helpdesk.state(ticket_id) == "pending reminder"
    assert start + 86400 - 5 <= helpdesk.until_time(ticket_id) <= epoch(now_utc()) + 86400 + 5


def test_commands_alone_send_nothing(helpdesk: Helpdesk) -> None:
    ticket_id, _ = helpdesk.new_ticket()
    done = helpdesk.answer(ticket_id, "#close")
    assert done.outcome == "agent_note"
    assert helpdesk.state(ticket_id) == "closed successful"
    assert [row.kind for row in helpdesk.outbox(ticket_id)].count("article") == 0
