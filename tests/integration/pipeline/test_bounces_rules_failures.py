"""Pipeline scenarios: bounces of our own mail, 1,000 rules, failures and their retry, concurrent threads."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import delete, func, select

from mailgate.intake import ImapOrigin
from mailgate.pipeline.rulestore import replace_rules
from mailgate.tickets.clock import now_utc
from mailgate.tokens import issue_message_id
from router import Action, Condition, Rule
from schema import Article, InboundMail, InboundSource, MailAccount, Queue, Ticket, TicketState
from schema.pipeline import Decision, RoutingRule, TicketTag, UndeliverableAddress
from tests.integration.pipeline.support import Gateway, mail, new_id

SECRET = "test-secret"
FQDN = "mg.example.org"


def dsn(original_message_id: str, failed: str) -> bytes:
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.customer.example>\r\n"
        "To: support@example.org\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: <{uuid.uuid4().hex}@mx.customer.example>\r\nAuto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="r"\r\n\r\n'
        "--r\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--r\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.customer.example\r\n\r\n"
        f"Final-Recipient: rfc822; {failed}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n"
        "--r\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: support@example.org\r\nTo: {failed}\r\nSubject: Re: Printer broken\r\n"
        f"Message-ID: <{original_message_id}>\r\nAuto-Submitted: auto-replied\r\n"
        "--r--\r\n"
    ).encode()


def ticket_count(gateway: Gateway) -> int:
    with gateway.session() as session:
        return session.scalar(select(func.count()).select_from(Ticket)) or 0


def test_bounce_of_our_auto_reply_lands_on_its_ticket(gateway: Gateway) -> None:
    first = gateway.deliver(mail(sender="gone@customer.example"))
    ticket_id = first.ticket_id
    assert ticket_id is not None
    with gateway.session() as session:
        state_before = session.get_one(Ticket, ticket_id).ticket_state_id
    ours = issue_message_id(SECRET, FQDN, ticket_id)
    before = ticket_count(gateway)
    done = gateway.deliver(dsn(ours.strip("<>"), "gone@customer.example"))
    assert (done.outcome, done.ticket_id) == ("bounce", ticket_id), done
    assert ticket_count(gateway) == before
    with gateway.session() as session:
        article = session.get_one(Article, done.article_id)
        assert article.is_visible_for_customer == 0 and article.article_sender_type_id == 2
        assert session.get_one(Ticket, ticket_id).ticket_state_id == state_before
        bad = session.scalars(
            select(UndeliverableAddress).where(UndeliverableAddress.address == "gone@customer.example")
        ).one()
        assert (bad.status, bad.permanent, bad.ticket_id) == ("5.1.1", 1, ticket_id)


def test_bounce_of_our_mail_for_a_vanished_ticket_opens_nothing(gateway: Gateway) -> None:
    before = ticket_count(gateway)
    done = gateway.deliver(dsn(issue_message_id(SECRET, FQDN, 987654).strip("<>"), "x@customer.example"))
    assert (done.state, done.outcome) == ("ignored", "ignored")
    assert ticket_count(gateway) == before


def noise_rule(number: int) -> Rule:
    field, operator = [("subject", "contains"), ("from", "ends_with"), ("header:X-Mailer", "regex")][
        number % 3
    ]
    value = {
        "contains": f"project-{number}",
        "ends_with": f"@partner{number}.example",
        "regex": rf"^tool-{number}\b",
    }
    return Rule(
        name=f"noise {number}",
        position=number,
        conditions=[Condition(field, operator, value[operator])],
        actions=[Action("set_queue", "Junk")],
    )


def test_a_thousand_rules_route_and_are_all_traced(gateway: Gateway) -> None:
    last = Rule(
        name="vip customers",
        position=5000,
        conditions=[
            Condition("sender_domain", "equals", "vip.example"),
            Condition("subject", "contains", "order"),
        ],
        actions=[Action("set_queue", "Misc"), Action("set_priority", "5 very high")],
    )
    with gateway.services.sessions.begin() as session:
        replace_rules(session, [*(noise_rule(n) for n in range(999)), last])
    try:
        done = gateway.deliver(mail(subject="New order 77", sender="boss@vip.example"))
        with gateway.session() as session:
            ticket = session.get_one(Ticket, done.ticket_id)
            assert session.get_one(Queue, ticket.queue_id).name == "Misc"
            assert ticket.ticket_priority_id == 5
            trace = json.loads(
                session.scalars(select(Decision.trace).where(Decision.inbound_id == done.spool_id)).one()
            )
        outcomes = [entry["outcome"] for entry in trace["route"]]
        assert len(outcomes) == 1000
        assert outcomes.count("hit") == 1 and outcomes[-1] == "hit"
    finally:
        with gateway.services.sessions.begin() as session:
            session.execute(delete(RoutingRule))


def test_a_failure_is_kept_with_its_reason_and_retried(gateway: Gateway) -> None:
    with gateway.services.sessions.begin() as session:
        session.add(
            RoutingRule(
                name="broken",
                position=1,
                conditions='[{"field": "subject", "operator": "sounds_like", "value": "x"}]',
                actions="[]",
                create_time=now_utc(),
                change_time=now_utc(),
            )
        )
    try:
        failed = gateway.deliver(mail())
        assert failed.state == "failed"
        with gateway.session() as session:
            row = session.get_one(InboundMail, failed.spool_id)
            assert row.attempts == 1 and "sounds_like" in (row.last_error or "")
            assert row.next_attempt_at is not None and row.raw
    finally:
        with gateway.services.sessions.begin() as session:
            session.execute(delete(RoutingRule))
    retried = gateway.processor.process(failed.spool_id)
    assert retried.state == "done" and retried.outcome == "new_ticket"
    with gateway.session() as session:
        row = session.get_one(InboundMail, failed.spool_id)
        assert (row.attempts, row.last_error) == (2, None)


def test_two_workers_on_one_thread_both_land(gateway: Gateway) -> None:
    for _ in range(5):
        first_id = new_id()
        intake = gateway.services.intake
        a = intake.accept(mail(message_id=first_id), InboundSource.SMTP).spool_id
        b = intake.accept(
            mail(subject="Re: Printer broken", in_reply_to=first_id), InboundSource.SMTP
        ).spool_id
        with ThreadPoolExecutor(2) as pool:
            futures = {spool_id: pool.submit(gateway.processor.process, spool_id) for spool_id in (a, b)}
            results = {spool_id: future.result(60) for spool_id, future in futures.items()}
        assert {results[a].state, results[b].state} == {"done"}, results
        with gateway.session() as session:
            count = session.scalar(
                select(func.count())
                .select_from(Article)
                .where(Article.ticket_id.in_([results[a].ticket_id, results[b].ticket_id]))
            )
        assert count == 2


def test_follow_up_state_of_a_pending_ticket(gateway: Gateway) -> None:
    done = gateway.deliver(mail(message_id=(first := new_id())))
    with gateway.services.sessions.begin() as session:
        pending = session.scalar(select(TicketState.id).where(TicketState.name == "pending auto close+"))
        session.get_one(Ticket, done.ticket_id).ticket_state_id = pending
    gateway.deliver(mail(in_reply_to=first))
    with gateway.session() as session:
        ticket = session.get_one(Ticket, done.ticket_id)
        assert session.get_one(TicketState, ticket.ticket_state_id).name == "open"


def test_rule_actions_tags_junk_and_ignore(gateway: Gateway) -> None:
    rules = [
        Rule(
            name="tag vip",
            position=1,
            conditions=[Condition("sender_domain", "equals", "vip.example")],
            actions=[Action("add_tags", ["vip", "priority-support"]), Action("set_title", "VIP request")],
        ),
        Rule(
            name="spam to junk",
            position=2,
            conditions=[Condition("header:X-Spam-Flag", "equals", "YES")],
            actions=[Action("move_to_junk")],
        ),
        Rule(
            name="drop newsletters",
            position=3,
            conditions=[Condition("subject", "starts_with", "Newsletter")],
            actions=[Action("ignore")],
        ),
    ]
    with gateway.services.sessions.begin() as session:
        replace_rules(session, rules)
    try:
        vip = gateway.deliver(mail(sender="ceo@vip.example", message_id=(first := new_id())))
        again = gateway.deliver(mail(sender="ceo@vip.example", in_reply_to=first))
        spam = gateway.deliver(mail(extra="X-Spam-Flag: YES"))
        dropped = gateway.deliver(mail(subject="Newsletter November"))
        with gateway.session() as session:
            tags = session.scalars(select(TicketTag.tag).where(TicketTag.ticket_id == vip.ticket_id)).all()
            assert sorted(tags) == ["priority-support", "vip"]
            assert session.get_one(Ticket, vip.ticket_id).title == "VIP request"
            spam_ticket = session.get_one(Ticket, spam.ticket_id)
            assert session.get_one(Queue, spam_ticket.queue_id).name == "Junk"
        assert again.ticket_id == vip.ticket_id
        assert (dropped.state, dropped.outcome, dropped.ticket_id) == ("ignored", "ignored", None)
    finally:
        with gateway.services.sessions.begin() as session:
            session.execute(delete(RoutingRule))


def test_mail_from_a_mail_account_goes_to_its_queue_and_trust_decides_x_otrs(gateway: Gateway) -> None:
    now = now_utc()
    with gateway.services.sessions.begin() as session:
        misc = session.scalar(select(Queue.id).where(Queue.name == "Misc"))
        accounts = []
        for trusted in (0, 1):
            account = MailAccount(
                login=f"box{trusted}",
                pw="x",
                host="imap.example",
                account_type="IMAP",
                queue_id=misc,
                trusted=trusted,
                valid_id=1,
                create_time=now,
                create_by=1,
                change_time=now,
                change_by=1,
            )
            session.add(account)
            session.flush()
            accounts.append(account.id)
    results = []
    for account_id in accounts:
        raw = mail(extra="X-OTRS-Queue: Junk")
        origin = ImapOrigin(account_id, 1, uuid.uuid4().int % 1_000_000)
        spool_id = gateway.services.intake.accept(raw, InboundSource.IMAP, imap=origin).spool_id
        results.append(gateway.processor.process(spool_id))
    with gateway.session() as session:
        queues = [session.get_one(Queue, session.get_one(Ticket, r.ticket_id).queue_id).name for r in results]
    assert queues == ["Misc", "Junk"]  # untrusted: its account's queue; trusted: X-OTRS-Queue honoured
