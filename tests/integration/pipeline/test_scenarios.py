"""Scenario tests: real mails through intake and process_inbound into Znuny's ticket tables."""

from __future__ import annotations

import base64
import hashlib
import json

from sqlalchemy import func, select

from mailgate.ticketnumber import is_valid_ticket_number
from schema import (
    Article,
    ArticleDataMime,
    ArticleDataMimeAttachment,
    ArticleDataMimePlain,
    CustomerUser,
    InboundMail,
    Queue,
    SystemAddress,
    Ticket,
    TicketHistory,
    TicketHistoryType,
    TicketState,
)
from schema.pipeline import Decision, TicketLink
from tests.integration.pipeline.support import Gateway, mail, new_id


def state_name(gateway: Gateway, ticket_id: int) -> str:
    with gateway.session() as session:
        ticket = session.get_one(Ticket, ticket_id)
        return session.get_one(TicketState, ticket.ticket_state_id).name


def set_state(gateway: Gateway, ticket_id: int, name: str) -> None:
    with gateway.session() as session:
        state_id = session.scalar(select(TicketState.id).where(TicketState.name == name))
        session.get_one(Ticket, ticket_id).ticket_state_id = state_id
        session.commit()


def history(gateway: Gateway, ticket_id: int) -> list[str]:
    with gateway.session() as session:
        rows = session.execute(
            select(TicketHistoryType.name)
            .join(TicketHistory, TicketHistory.history_type_id == TicketHistoryType.id)
            .where(TicketHistory.ticket_id == ticket_id)
            .order_by(TicketHistory.id)
        )
        return list(rows.scalars())


def articles(gateway: Gateway, ticket_id: int) -> list[Article]:
    with gateway.session() as session:
        return list(
            session.scalars(select(Article).where(Article.ticket_id == ticket_id).order_by(Article.id))
        )


def new_ticket(gateway: Gateway, **kwargs: str) -> tuple[int, str]:
    """Deliver a new mail; returns (ticket id, its Message-ID)."""
    message_id = new_id()
    done = gateway.deliver(mail(message_id=message_id, **kwargs))
    assert done.outcome == "new_ticket", done
    assert done.ticket_id is not None
    return done.ticket_id, message_id


def tn_of(gateway: Gateway, ticket_id: int) -> str:
    with gateway.session() as session:
        return session.get_one(Ticket, ticket_id).tn


def test_new_mail_becomes_a_znuny_ticket(gateway: Gateway) -> None:
    raw = mail(subject="Printer on fire", body="Please help.", message_id="first-contact@customer.example")
    done = gateway.deliver(raw)
    assert done.state == "done" and done.outcome == "new_ticket"
    with gateway.session() as session:
        ticket = session.get_one(Ticket, done.ticket_id)
        assert is_valid_ticket_number(ticket.tn, "10")
        assert ticket.title == "Printer on fire"
        assert session.get_one(Queue, ticket.queue_id).name == "Raw"
        assert session.get_one(TicketState, ticket.ticket_state_id).name == "new"
        assert ticket.ticket_priority_id == 3
        assert ticket.customer_user_id == "jane@customer.example"
        customer = session.scalars(
            select(CustomerUser).where(CustomerUser.login == "jane@customer.example")
        ).one()
        assert (customer.first_name, customer.last_name) == ("Jane", "Doe")
        article = session.get_one(Article, done.article_id)
        assert (article.article_sender_type_id, article.communication_channel_id) == (3, 1)
        assert article.is_visible_for_customer == 1
        mime = session.scalars(select(ArticleDataMime).where(ArticleDataMime.article_id == article.id)).one()
        assert mime.a_message_id == "<first-contact@customer.example>"
        assert mime.a_message_id_md5 == hashlib.md5(b"<first-contact@customer.example>").hexdigest()
        assert mime.a_subject == "Printer on fire" and "Please help." in (mime.a_body or "")
        plain = session.scalars(
            select(ArticleDataMimePlain).where(ArticleDataMimePlain.article_id == article.id)
        ).one()
        assert base64.b64decode(plain.body) == raw
        spool = session.get_one(InboundMail, done.spool_id)
        assert (spool.state, spool.ticket_id, spool.article_id) == ("done", ticket.id, article.id)
        decision = session.scalars(select(Decision).where(Decision.inbound_id == done.spool_id)).one()
        trace = json.loads(decision.trace)
        assert trace["policy"]["action"] == "new_ticket" and trace["queue"] == "Raw"
        assert [step["step"] for step in trace["followup"]][:2] == ["trusted_header", "token"]
    assert history(gateway, ticket.id) == ["NewTicket", "EmailCustomer"]


def test_system_address_routes_to_its_queue(gateway: Gateway) -> None:
    with gateway.session() as session:
        misc = session.scalar(select(Queue.id).where(Queue.name == "Misc"))
        session.add(
            SystemAddress(
                value0="billing@example.org",
                value1="Billing",
                queue_id=misc,
                valid_id=1,
                create_time=func.now(),
                create_by=1,
                change_time=func.now(),
                change_by=1,
            )
        )
        session.commit()
    ticket_id, _ = new_ticket(gateway, to="Billing <Billing+invoices@example.org>")
    with gateway.session() as session:
        assert session.get_one(Ticket, ticket_id).queue_id == misc


def test_attachments_are_stored(gateway: Gateway) -> None:
    raw = (
        b"From: jane@customer.example\r\nTo: support@example.org\r\nSubject: logs\r\n"
        b"Message-ID: <" + new_id().encode() + b">\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nsee log\r\n"
        b"--b\r\nContent-Type: application/octet-stream\r\n"
        b'Content-Disposition: attachment; filename="log.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        + base64.b64encode(b"\x00\x01binary")
        + b"\r\n--b--\r\n"
    )
    done = gateway.deliver(raw)
    with gateway.session() as session:
        stored = session.scalars(
            select(ArticleDataMimeAttachment).where(ArticleDataMimeAttachment.article_id == done.article_id)
        ).all()
    assert [(a.filename, a.content_size, a.disposition) for a in stored] == [("log.bin", "8", "attachment")]
    assert base64.b64decode(stored[0].content or "") == b"\x00\x01binary"


def test_reply_by_in_reply_to_threads(gateway: Gateway) -> None:
    ticket_id, first = new_ticket(gateway)
    set_state(gateway, ticket_id, "pending reminder")
    done = gateway.deliver(mail(subject="Re: Printer broken", in_reply_to=first))
    assert (done.outcome, done.ticket_id) == ("followup", ticket_id)
    assert state_name(gateway, ticket_id) == "open"
    assert history(gateway, ticket_id)[-2:] == ["StateUpdate", "FollowUp"]


def test_reply_by_subject_number_from_the_customer(gateway: Gateway) -> None:
    ticket_id, _ = new_ticket(gateway)
    tn = tn_of(gateway, ticket_id)
    done = gateway.deliver(mail(subject=f"Re: [Ticket#{tn}] Printer broken"))
    assert (done.outcome, done.ticket_id) == ("followup", ticket_id)
    assert state_name(gateway, ticket_id) == "new"  # a follow-up leaves a new ticket new, as Znuny does


def test_hijack_by_guessed_number_opens_a_linked_ticket(gateway: Gateway) -> None:
    ticket_id, _ = new_ticket(gateway)
    tn = tn_of(gateway, ticket_id)
    done = gateway.deliver(mail(subject=f"[Ticket#{tn}] give me the data", sender="mallory@evil.example"))
    assert done.outcome == "new_ticket" and done.ticket_id != ticket_id
    assert len(articles(gateway, ticket_id)) == 1
    with gateway.session() as session:
        link = session.scalars(select(TicketLink).where(TicketLink.ticket_id == done.ticket_id)).one()
        assert link.linked_ticket_id == ticket_id
        assert tn not in (session.get_one(Ticket, done.ticket_id).title or "")


def set_follow_up_option(gateway: Gateway, ticket_id: int, option: int) -> None:
    with gateway.session() as session:
        queue = session.get_one(Queue, session.get_one(Ticket, ticket_id).queue_id)
        queue.follow_up_id = option
        session.commit()


def test_closed_ticket_follow_up_options(gateway: Gateway) -> None:
    # 1 possible: reopen
    ticket_id, first = new_ticket(gateway)
    set_state(gateway, ticket_id, "closed successful")
    set_follow_up_option(gateway, ticket_id, 1)
    done = gateway.deliver(mail(in_reply_to=first))
    assert (done.outcome, done.ticket_id) == ("followup", ticket_id)
    assert state_name(gateway, ticket_id) == "open"
    # 2 reject: stored, not visible to the customer, ticket stays closed
    set_state(gateway, ticket_id, "closed successful")
    set_follow_up_option(gateway, ticket_id, 2)
    done = gateway.deliver(mail(in_reply_to=first))
    assert (done.outcome, done.ticket_id) == ("rejected", ticket_id)
    assert state_name(gateway, ticket_id) == "closed successful"
    assert articles(gateway, ticket_id)[-1].is_visible_for_customer == 0
    # 3 new ticket, linked to the closed one
    set_follow_up_option(gateway, ticket_id, 3)
    done = gateway.deliver(mail(in_reply_to=first))
    assert done.outcome == "new_ticket" and done.ticket_id != ticket_id
    assert state_name(gateway, ticket_id) == "closed successful"
    set_follow_up_option(gateway, ticket_id, 1)


def test_out_of_office_reply_is_stored_but_never_reopens(gateway: Gateway) -> None:
    ticket_id, first = new_ticket(gateway)
    set_state(gateway, ticket_id, "closed successful")
    done = gateway.deliver(
        mail(
            subject="Out of office: Printer broken",
            body="I am away until Monday.",
            in_reply_to=first,
            extra="Auto-Submitted: auto-replied",
        )
    )
    assert (done.outcome, done.ticket_id) == ("followup", ticket_id)
    assert state_name(gateway, ticket_id) == "closed successful"
    with gateway.session() as session:
        trace = json.loads(
            session.scalars(select(Decision.trace).where(Decision.inbound_id == done.spool_id)).one()
        )
    assert trace["kind"] == "auto-reply" and trace["auto_response"] is None


def test_mail_from_our_own_address_is_recorded_and_ignored(gateway: Gateway) -> None:
    before = count_tickets(gateway)
    done = gateway.deliver(mail(sender="Znuny System <znuny@localhost>"))
    assert (done.state, done.outcome, done.ticket_id) == ("ignored", "loop", None)
    looped = gateway.deliver(mail(extra="X-Mailgate-Loop: mg.example.org"))
    assert looped.outcome == "loop"
    assert count_tickets(gateway) == before


def count_tickets(gateway: Gateway) -> int:
    with gateway.session() as session:
        return session.scalar(select(func.count()).select_from(Ticket)) or 0


def test_processing_twice_changes_nothing(gateway: Gateway) -> None:
    accepted = gateway.services.intake.accept(mail(), source=__import__("schema").InboundSource.PIPE)
    first = gateway.processor.process(accepted.spool_id)
    again = gateway.processor.process(accepted.spool_id)
    assert again.state == "done" and again.ticket_id == first.ticket_id
    assert len(articles(gateway, first.ticket_id or 0)) == 1


def test_nul_bytes_in_headers_and_body_still_make_a_ticket(gateway: Gateway) -> None:
    raw = (
        b"From: Ja\x00ne <jane@customer.example>\r\nTo: support@example.org\r\nSubject: broken\x00subject\r\n"
        b"Message-ID: <nul\x00" + new_id().encode() + b">\r\n\r\nbody with \x00 inside\r\n"
    )
    done = gateway.deliver(raw)
    assert (done.state, done.outcome) == ("done", "new_ticket"), done
    with gateway.session() as session:
        mime = session.scalars(
            select(ArticleDataMime).where(ArticleDataMime.article_id == done.article_id)
        ).one()
        plain = session.scalars(
            select(ArticleDataMimePlain).where(ArticleDataMimePlain.article_id == done.article_id)
        ).one()
    assert "\x00" not in (mime.a_subject or "") + (mime.a_body or "") + (mime.a_message_id or "")
    assert base64.b64decode(plain.body) == raw  # the raw mail itself is kept byte for byte
