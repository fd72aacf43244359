"""Agent notifications through the pipeline and the notifier to a real aiosmtpd sink."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from mailgate.tokens import parse_agent_reply_address
from notifier.actors import render_context
from notifier.renderers import build_registry
from notifier.sender import OutboxSender
from schema import OutboxMail, Ticket
from tests.integration.notifier.autoreply_support import (
    SECRET,
    Outbound,
    mail,
    new_id,
    parse_sent,
    start_outbound,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def out(migrated_url: str) -> Iterator[Outbound]:
    started = start_outbound(migrated_url)
    yield started
    started.close()


def notified(out: Outbound, ticket_id: int | None) -> list[int | None]:
    return [row.user_id for row in out.site.outbox(ticket_id, "agent_notification")]


def text_of(message: object) -> str:
    part = message.get_body(("plain",))  # type: ignore[attr-defined]
    return str(part.get_content()).replace("\r\n", "\n")


def test_subscribed_agents_with_rw_get_a_notification_with_a_signed_reply_address(out: Outbound) -> None:
    agents = out.site.agents
    done = out.site.deliver(mail(body="The printer shows E42 since Monday.\n"))
    assert notified(out, done.ticket_id) == [agents["alice"], agents["erin"]]  # not bob (ro), carol, dave
    sent = {str(item["To"]): item for item in out.flush("agent_notification")}
    with out.site.session() as session:
        tn = session.get_one(Ticket, done.ticket_id).tn
    alice = sent["Alice Agent <alice@agents.example>"]
    assert alice["Subject"].strip() == f"[Ticket#{tn}] Neues Ticket: Printer broken"  # her UserLanguage is de
    assert alice["From"] == "Example Support <support@example.org>"
    assert alice["Auto-Submitted"] == "auto-generated" and alice["X-Mailgate-Notification"] == "new_ticket"
    assert "The printer shows E42 since Monday." in text_of(alice)
    assert 'es gibt ein neues Ticket in "Raw"' in text_of(alice)
    reply_to = alice["Reply-To"].addresses[0].addr_spec
    token = parse_agent_reply_address(SECRET, reply_to, today=date.today())
    assert token is not None and (token.ticket_id, token.user_id) == (done.ticket_id, agents["alice"])
    assert reply_to.startswith("support+a-") and reply_to.endswith("@example.org")
    erin = sent["Erin Agent <erin@agents.example>"]
    assert erin["Subject"].strip() == f"[Ticket#{tn}] New ticket: Printer broken"
    forged = reply_to.replace(f"-{agents['alice']}-", f"-{agents['erin']}-", 1)
    assert parse_agent_reply_address(SECRET, forged, today=date.today()) is None


def test_follow_ups_notify_but_not_the_author_nor_auto_generated_mail(out: Outbound) -> None:
    agents = out.site.agents
    first = new_id()
    opened = out.site.deliver(mail(message_id=first, sender="kim@customer.example"))
    out.flush("agent_notification")
    follow = out.site.deliver(mail(in_reply_to=first, sender="kim@customer.example", body="Any news?"))
    rows = [
        row
        for row in out.site.outbox(opened.ticket_id, "agent_notification")
        if row.article_id == follow.article_id
    ]
    assert [row.user_id for row in rows] == [agents["alice"], agents["erin"]]
    (english,) = [item for item in out.flush("agent_notification") if "erin@" in str(item["To"])]
    assert english["X-Mailgate-Notification"] == "followup" and "Any news?" in text_of(english)

    ooo = out.site.deliver(
        mail(
            in_reply_to=first,
            sender="kim@customer.example",
            subject="Out of Office",
            headers={"Auto-Submitted": "auto-replied"},
        )
    )
    assert [row for row in out.site.outbox(opened.ticket_id) if row.article_id == ooo.article_id] == []
    assert "auto-generated" in out.site.trace(opened.ticket_id or 0)["agent_notifications"]["reason"]

    by_agent = out.site.deliver(mail(sender="Alice <alice@agents.example>", subject="Toner order"))
    assert notified(out, by_agent.ticket_id) == [agents["erin"]]
    assert out.site.trace(by_agent.ticket_id or 0)["agent_notifications"]["skipped_author"] == [
        agents["alice"]
    ]


def test_an_agents_answer_by_mail_gets_no_auto_follow_up(out: Outbound) -> None:
    done = out.site.deliver(mail(sender="nia@customer.example", subject="Scanner"))
    (note,) = [item for item in out.flush("agent_notification") if "alice@" in str(item["To"])]
    reply_to = note["Reply-To"].addresses[0].addr_spec
    answer = mail(
        sender="Alice Agent <alice@agents.example>",
        to=reply_to,
        subject=f"Re: {note['Subject'].strip()}",
        body="Please restart the scanner.\n",
        in_reply_to=str(note["Message-ID"]).strip("<>"),
    )
    answered = out.site.deliver(answer, reply_to)
    assert answered.ticket_id == done.ticket_id
    with out.site.session() as session:
        rows = session.scalars(select(OutboxMail).where(OutboxMail.article_id == answered.article_id)).all()
    assert [row.kind for row in rows if row.kind == "auto_reply"] == []
    trace = out.site.trace(done.ticket_id or 0)
    assert trace["agent_mail"]["outcome"] == "agent_reply"
    assert trace["auto_reply"] == {"type": None, "sent": False, "reason": "nothing is sent for agent_reply"}
    assert notified(out, done.ticket_id).count(out.site.agents["alice"]) == 1  # only the first notification


def test_an_admins_template_for_the_queue_replaces_the_built_in_one(out: Outbound, tmp_path: Path) -> None:
    (tmp_path / "Raw").mkdir()
    (tmp_path / "Raw" / "agent_notification.subject").write_text(
        "Raw queue: <OTRS_CUSTOMER_SUBJECT> for {{ recipient.first_name }}", encoding="utf-8"
    )
    (tmp_path / "agent_notification.de.subject").write_text(
        "Ignored: the queue's own template wins", encoding="utf-8"
    )
    settings = dataclasses.replace(out.site.services.settings, template_dir=str(tmp_path))
    ctx = render_context(settings, SECRET)
    sender = OutboxSender(out.site.services.sessions, build_registry(), ctx, out.sender.transport)
    done = out.site.deliver(mail(subject="Paper jam"))
    before = len(out.sink.received)
    for row in out.site.outbox(done.ticket_id, "agent_notification"):
        sender.send(row.id)
    subjects = sorted(parse_sent(raw)["Subject"].strip() for raw in out.sink.received[before:])
    with out.site.session() as session:
        tn = session.get_one(Ticket, done.ticket_id).tn
    assert subjects == [
        f"[Ticket#{tn}] Raw queue: Paper jam for Alice",
        f"[Ticket#{tn}] Raw queue: Paper jam for Erin",
    ]
