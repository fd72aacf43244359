"""on_mail_applied through the real pipeline: which auto-response each outcome writes, and every refusal."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest
from sqlalchemy import delete, func, insert, select, update

from mailgate.outbound.outbox import OutboundRequest, enqueue_outbound
from mailgate.outbound.policy import AutoReplyLimits, Refusal, limit_refusal
from mailgate.pipeline.rulestore import replace_rules
from router import Action, Condition, Rule
from schema import InboundSource, OutboxMail, QueueAutoResponse
from schema.pipeline import RoutingRule, UndeliverableAddress
from tests.integration.notifier.autoreply_support import Site, build_site, mail, new_id

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def site(migrated_url: str) -> Iterator[Site]:
    built = build_site(migrated_url)
    yield built
    built.close()


def auto_replies(site: Site, ticket_id: int | None) -> list[OutboxMail]:
    return site.outbox(ticket_id, "auto_reply")


def test_new_ticket_sends_auto_reply_to_reply_to(site: Site) -> None:
    done = site.deliver(
        mail(
            sender="Jane Doe <jane@customer.example>",
            headers={"Reply-To": "Jane Desk <desk@customer.example>"},
        )
    )
    assert done.outcome == "new_ticket"
    (row,) = auto_replies(site, done.ticket_id)
    assert json.loads(row.recipients) == ["desk@customer.example"]  # Znuny answers Reply-To before From
    assert row.recipient_key == "desk@customer.example"
    assert row.auto_response_id == 1 and row.article_id == done.article_id
    assert json.loads(row.params)["type"] == "auto reply"
    assert row.dedupe_key == f"auto_reply:article:{done.article_id}"
    assert site.trace(done.ticket_id or 0)["auto_reply"]["sent"] is True


def test_each_follow_up_outcome_sends_its_type(site: Site) -> None:
    first = new_id()
    opened = site.deliver(mail(message_id=first, sender="kim@customer.example"))
    follow = site.deliver(mail(in_reply_to=first, sender="kim@customer.example"))
    assert follow.ticket_id == opened.ticket_id
    site.set_state(opened.ticket_id or 0, "closed successful")
    reopened = site.deliver(mail(in_reply_to=first, sender="kim@customer.example"))
    assert reopened.ticket_id == opened.ticket_id
    types = [
        (json.loads(row.params)["type"], row.auto_response_id) for row in auto_replies(site, opened.ticket_id)
    ]
    assert types == [("auto reply", 1), ("auto follow up", 3), ("auto follow up", 3)]

    strict = new_id()
    closed = site.deliver(
        mail(message_id=strict, to="strict@example.org", sender="lee@customer.example"), "strict@example.org"
    )
    site.set_state(closed.ticket_id or 0, "closed successful")
    rejected = site.deliver(
        mail(in_reply_to=strict, to="strict@example.org", sender="lee@customer.example"), "strict@example.org"
    )
    assert rejected.outcome == "rejected" and rejected.ticket_id == closed.ticket_id
    types = [json.loads(row.params)["type"] for row in auto_replies(site, closed.ticket_id)]
    assert types == ["auto reply", "auto reject"]

    renew = new_id()
    old = site.deliver(
        mail(message_id=renew, to="renew@example.org", sender="max@customer.example"), "renew@example.org"
    )
    site.set_state(old.ticket_id or 0, "closed successful")
    fresh = site.deliver(
        mail(in_reply_to=renew, to="renew@example.org", sender="max@customer.example"), "renew@example.org"
    )
    assert fresh.outcome == "new_ticket" and fresh.ticket_id != old.ticket_id
    (row,) = auto_replies(site, fresh.ticket_id)
    assert (json.loads(row.params)["type"], row.auto_response_id) == ("auto reply/new ticket", 4)


@pytest.mark.parametrize(
    ("sender", "subject", "headers", "code"),
    [
        (
            "jo@customer.example",
            "Out of Office: Printer broken",
            {"Auto-Submitted": "auto-replied"},
            "auto_generated",
        ),
        ("jo@customer.example", "Automatic reply: Printer", {"X-Autoreply": "yes"}, "auto_generated"),
        ("news@list.example", "Weekly digest", {"Precedence": "bulk"}, "auto_generated"),
        ("dev@list.example", "[dev] release", {"List-Id": "<dev.list.example>"}, "auto_generated"),
        ("jo@customer.example", "Printer", {"X-Loop": "helpdesk@elsewhere.example"}, "sender_opt_out"),
        ("jo@customer.example", "Printer", {"X-Auto-Response-Suppress": "All"}, "sender_opt_out"),
        ("MAILER-DAEMON@mx.customer.example", "Printer", {}, "no_reply_address"),
        ("no-reply@shop.example", "Your order", {}, "no_reply_address"),
        ("strict@example.org", "Printer", {}, "loop"),
    ],
)
def test_no_auto_reply_to_generated_mail_or_own_addresses(
    site: Site, sender: str, subject: str, headers: dict[str, str], code: str
) -> None:
    done = site.deliver(mail(subject=subject, sender=sender, headers=headers))
    if code == "loop":  # mail from one of our own system addresses never reaches the auto-reply step
        assert done.outcome == "loop" and done.ticket_id is None
        return
    assert done.outcome == "new_ticket"
    assert auto_replies(site, done.ticket_id) == []
    trace = site.trace(done.ticket_id or 0)["auto_reply"]
    assert (trace["sent"], trace["code"]) == (False, code)
    (entry,) = [name for kind, name in site.history(done.ticket_id or 0) if kind == "Misc"]
    assert entry.startswith("Sent no auto-response: ") and trace["reason"] in entry


def test_own_sub_address_in_reply_to_and_undeliverable_address(site: Site) -> None:
    own = site.deliver(
        mail(sender="jo@customer.example", headers={"Reply-To": "support+t-1-abc@example.org"})
    )
    assert site.trace(own.ticket_id or 0)["auto_reply"]["code"] == "own_address"
    with site.services.sessions.begin() as session:
        session.execute(
            insert(UndeliverableAddress).values(
                address="gone@customer.example",
                status="5.1.1",
                permanent=1,
                bounce_count=1,
                first_seen=datetime(2026, 11, 1),
                last_seen=datetime(2026, 11, 1),
            )
        )
    gone = site.deliver(mail(sender="Gone <Gone@Customer.example>"))
    trace = site.trace(gone.ticket_id or 0)["auto_reply"]
    assert trace["code"] == "undeliverable" and "5.1.1" in trace["reason"]
    assert auto_replies(site, gone.ticket_id) == []


def test_routing_rule_suppresses_and_says_which(site: Site) -> None:
    rule = Rule(
        name="no auto-reply for partners",
        position=1,
        conditions=[Condition("sender_domain", "equals", "partner.example")],
        actions=[Action("suppress_auto_reply", True)],
    )
    with site.services.sessions.begin() as session:
        replace_rules(session, [rule])
    try:
        done = site.deliver(mail(sender="ann@partner.example"))
    finally:
        with site.services.sessions.begin() as session:
            session.execute(delete(RoutingRule))
    trace = site.trace(done.ticket_id or 0)["auto_reply"]
    assert trace["code"] == "rule_suppressed" and "no auto-reply for partners" in trace["reason"]
    assert auto_replies(site, done.ticket_id) == []


def test_no_auto_reply_when_queue_has_none_configured(site: Site) -> None:
    with site.services.sessions.begin() as session:
        session.execute(delete(QueueAutoResponse).where(QueueAutoResponse.queue_id == site.queues["Renew"]))
    done = site.deliver(mail(to="renew@example.org", sender="pat@customer.example"), "renew@example.org")
    assert auto_replies(site, done.ticket_id) == []
    trace = site.trace(done.ticket_id or 0)["auto_reply"]
    assert trace["sent"] is False and "has no valid 'auto reply'" in trace["reason"]
    assert not [kind for kind, _ in site.history(done.ticket_id or 0) if kind in ("Misc", "LoopProtection")]


def test_per_ticket_and_per_address_limits(site: Site) -> None:
    limited = site.processor_with(autoreply_max_per_address=5, autoreply_max_per_ticket=3)
    first = new_id()
    sender = "busy@customer.example"
    results = [site.deliver(mail(message_id=first, sender=sender), processor=limited)]
    results += [site.deliver(mail(in_reply_to=first, sender=sender), processor=limited) for _ in range(4)]
    ticket_id = results[0].ticket_id or 0
    assert {item.ticket_id for item in results} == {ticket_id}
    assert len(auto_replies(site, ticket_id)) == 3
    loop_rows = [name for kind, name in site.history(ticket_id) if kind == "LoopProtection"]
    assert loop_rows == [f"%%{sender}", f"%%{sender}"]
    assert site.trace(ticket_id)["auto_reply"]["code"] == "ticket_limit"

    tickets = [
        site.deliver(mail(subject=f"Question {n}", sender=sender), processor=limited) for n in range(3)
    ]
    sent = [item for item in tickets if auto_replies(site, item.ticket_id)]
    assert len(sent) == 2  # 3 on the first ticket + 2 = the address's 5
    assert site.trace(tickets[-1].ticket_id or 0)["auto_reply"]["code"] == "address_limit"

    with site.services.sessions.begin() as session:  # a day later the window has moved on
        session.execute(
            update(OutboxMail)
            .where(OutboxMail.recipient_key == sender)
            .values(create_time=OutboxMail.create_time - timedelta(hours=25))
        )
    later = site.deliver(mail(subject="Next day", sender=sender), processor=limited)
    assert len(auto_replies(site, later.ticket_id)) == 1


def report(
    report_type: str, status_part: str, original: str, sender: str = "postmaster@mx.customer.example"
) -> bytes:
    """A machine's multipart/report about a mail of a customer's own (not one of ours)."""
    return (
        f"From: Mail Delivery System <{sender}>\r\nTo: support@example.org\r\n"
        f"Subject: Delivery Status Notification\r\nMessage-ID: <{new_id('mx.customer.example')}>\r\n"
        "Date: Wed, 25 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type={report_type}; boundary="r"\r\n\r\n'
        "--r\r\nContent-Type: text/plain\r\n\r\nThis is an automatically generated report.\r\n"
        f"--r\r\n{status_part}"
        "--r\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: jane@customer.example\r\nTo: someone@elsewhere.example\r\nSubject: Printer\r\n"
        f"Message-ID: <{original}>\r\n"
        "--r--\r\n"
    ).encode()


DSN_FAILED = (
    "Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.customer.example\r\n\r\n"
    "Final-Recipient: rfc822; someone@elsewhere.example\r\nAction: failed\r\nStatus: 5.1.1\r\n"
    "Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n"
)
DSN_DELAYED = (
    "Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.customer.example\r\n\r\n"
    "Final-Recipient: rfc822; someone@elsewhere.example\r\nAction: delayed\r\nStatus: 4.4.7\r\n"
)
ARF = (
    "Content-Type: message/feedback-report\r\n\r\nFeedback-Type: abuse\r\nUser-Agent: ExampleFBL/1.0\r\n"
    "Version: 1\r\n"
)


@pytest.mark.parametrize(
    ("report_type", "part", "sender", "kinds"),
    [
        ("delivery-status", DSN_FAILED, "postmaster@mx.customer.example", "bounce"),
        ("delivery-status", DSN_DELAYED, "mailer@mx.customer.example", "delivery-report bounce"),
        ("feedback-report", ARF, "fbl@isp.example", "complaint"),
    ],
)
def test_no_auto_reply_to_reports(site: Site, report_type: str, part: str, sender: str, kinds: str) -> None:
    done = site.deliver(report(report_type, part, new_id(), sender))
    assert done.ticket_id is not None and auto_replies(site, done.ticket_id) == []
    trace = site.trace(done.ticket_id)
    assert trace["kind"] in kinds
    assert trace["auto_reply"]["code"] == "auto_generated" and trace["kind"] in trace["auto_reply"]["reason"]
    assert "notifies nobody" in trace["agent_notifications"]["reason"]


def test_concurrent_workers_never_exceed_the_address_limit(site: Site) -> None:
    """Mails of one sender processed by four workers at once: exactly the limit get an auto-reply."""
    limited = site.processor_with(autoreply_max_per_address=5)
    sender = "racer@customer.example"
    spool_ids = [
        site.services.intake.accept(
            mail(subject=f"Race {n}", sender=sender),
            InboundSource.SMTP,
            "bounce@sender.example",
            ("support@example.org",),
        ).spool_id
        for n in range(16)
    ]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(limited.process, spool_ids))
    assert {item.state for item in results} == {"done"}
    with site.session() as session:
        count = session.scalar(
            select(func.count()).select_from(OutboxMail).where(OutboxMail.recipient_key == sender)
        )
    assert count == 5


def test_the_limit_check_waits_for_a_concurrent_auto_reply_to_the_same_address(
    site: Site, backend: str
) -> None:
    """PostgreSQL: a second worker's count waits until the first worker's auto-reply is committed."""
    if backend != "postgresql":
        pytest.skip("SQLite serialises whole pipeline transactions on its write lock")
    limits = AutoReplyLimits(per_address_per_day=1, per_ticket_per_day=100)
    now = datetime(2026, 11, 25, 12, 0)
    address = "contended@customer.example"
    first = site.services.sessions()
    try:
        assert limit_refusal(first, address, 1, now, limits) is None
        request = OutboundRequest("auto_reply", f"race:{new_id()}", [address], ticket_id=1)
        enqueue_outbound(first, request, now)
        with ThreadPoolExecutor(max_workers=1) as pool:

            def second_worker() -> Refusal | None:
                with site.services.sessions.begin() as session:
                    return limit_refusal(session, address, 2, now, limits)

            waiting = pool.submit(second_worker)
            time.sleep(0.5)
            assert not waiting.done()  # blocked on the first worker's lock
            first.commit()
            refusal = waiting.result(timeout=10)
    finally:
        first.close()
    assert refusal is not None and refusal.code == "address_limit"


def test_no_auto_reply_when_the_new_ticket_is_closed_at_once(site: Site) -> None:
    """Znuny sends no 'auto reply' for a ticket created closed (e.g. by a rule)."""
    rule = Rule(
        name="close thank-you mails",
        position=1,
        conditions=[Condition("subject", "starts_with", "Thanks")],
        actions=[Action("set_state", "closed successful")],
    )
    with site.services.sessions.begin() as session:
        replace_rules(session, [rule])
    try:
        done = site.deliver(mail(subject="Thanks, all fixed", sender="happy@customer.example"))
    finally:
        with site.services.sessions.begin() as session:
            session.execute(delete(RoutingRule))
    trace = site.trace(done.ticket_id or 0)["auto_reply"]
    assert (trace["code"], trace["reason"]) == ("ticket_closed", "the ticket is state-type 'closed'")
    assert ("Misc", "Sent no auto-response: the ticket is state-type 'closed'") in site.history(
        done.ticket_id or 0
    )
