"""Auto-replies sent by the notifier to a real aiosmtpd sink: Znuny's texts, headers, loops, rate limits."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from email.message import EmailMessage

import pytest
from sqlalchemy import func, insert, select, update

from mailgate.tokens import parse_message_id
from schema import Article, ArticleSenderType, AutoResponse, CustomerPreference, Ticket
from schema.pipeline import UndeliverableAddress
from tests.integration.notifier.autoreply_support import SECRET, Outbound, mail, new_id, start_outbound

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def out(migrated_url: str) -> Iterator[Outbound]:
    started = start_outbound(migrated_url)
    yield started
    started.close()


def text_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def html_of(message: EmailMessage) -> str:
    part = message.get_body(("html",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def tn_of(out: Outbound, ticket_id: int | None) -> str:
    with out.site.session() as session:
        return session.get_one(Ticket, ticket_id).tn


def test_new_ticket_auto_reply_is_znunys_text_answering_the_customer(out: Outbound) -> None:
    first = new_id()
    done = out.site.deliver(mail(message_id=first, body="It does not print.\nThe display says E42.\n"))
    (sent,) = out.flush()
    tn = tn_of(out, done.ticket_id)
    assert sent["From"] == "Example Support <support@example.org>"
    assert sent["To"] == "Jane Doe <jane@customer.example>"
    assert sent["Subject"] == f"[Ticket#{tn}] RE: Printer broken"
    assert sent["Auto-Submitted"] == "auto-replied"
    assert sent["In-Reply-To"] == f"<{first}>" and f"<{first}>" in sent["References"]
    assert sent["X-Mailgate-Loop"] == "mg.example.org"
    token = parse_message_id(SECRET, sent["Message-ID"])
    assert token is not None and token.ticket_id == done.ticket_id
    text = text_of(sent)
    assert text.startswith("This is a demo text which is send to every inquiry.\n")
    assert "Thanks for your email. A new ticket has been created.\n" in text
    assert "You wrote:\n> It does not print.\n> The display says E42.\n\nYour email will be answered" in text
    assert '<blockquote type="cite">It does not print.<br/>The display says E42.</blockquote>' in html_of(
        sent
    )
    history = out.site.history(done.ticket_id or 0)
    assert ("SendAutoReply", "%%jane@customer.example") in history
    with out.site.session() as session:  # Znuny stores the auto-reply as a system article
        system = session.scalar(
            select(func.count())
            .select_from(Article)
            .join(ArticleSenderType, ArticleSenderType.id == Article.article_sender_type_id)
            .where(Article.ticket_id == done.ticket_id, ArticleSenderType.name == "system")
        )
    assert system == 1


def test_follow_up_reject_and_new_ticket_texts(out: Outbound) -> None:
    first = new_id()
    done = out.site.deliver(mail(message_id=first, sender="kim@customer.example", subject="VPN down"))
    out.flush()
    out.site.deliver(
        mail(in_reply_to=first, sender="kim@customer.example", subject="Re: VPN down", body="Still down.")
    )
    (follow,) = out.flush()
    tn = tn_of(out, done.ticket_id)
    assert follow["Subject"] == f"[Ticket#{tn}] RE: VPN down"
    assert "Thanks for your follow-up email\n\nYou wrote:\n> Still down." in text_of(follow)
    assert ("SendAutoFollowUp", "%%kim@customer.example") in out.site.history(done.ticket_id or 0)

    strict = new_id()
    closed = out.site.deliver(
        mail(message_id=strict, to="strict@example.org", sender="lee@customer.example"), "strict@example.org"
    )
    out.flush()
    out.site.set_state(closed.ticket_id or 0, "closed successful")
    out.site.deliver(
        mail(
            in_reply_to=strict,
            to="strict@example.org",
            sender="lee@customer.example",
            subject="Re: Printer broken",
        ),
        "strict@example.org",
    )
    (reject,) = out.flush()
    assert (
        reject["Subject"].strip()  # a long Subject is folded right after "Subject:"
        == f"[Ticket#{tn_of(out, closed.ticket_id)}] Your email has been rejected! (RE: Printer broken)"
    )
    assert reject["From"] == "Example Support <support@example.org>"  # the auto-response's own address
    assert "-- Your follow-up has been rejected. --" in text_of(reject)

    renew = new_id()
    old = out.site.deliver(
        mail(message_id=renew, to="renew@example.org", sender="max@customer.example"), "renew@example.org"
    )
    out.flush()
    out.site.set_state(old.ticket_id or 0, "closed successful")
    fresh = out.site.deliver(
        mail(in_reply_to=renew, to="renew@example.org", sender="max@customer.example"), "renew@example.org"
    )
    (created,) = out.flush()
    assert (
        created["Subject"]
        .strip()
        .startswith(f"[Ticket#{tn_of(out, fresh.ticket_id)}] New ticket has been created!")
    )
    assert "-- A new ticket has been created for you. --" in text_of(created)


def test_our_own_auto_reply_coming_back_stops_at_once(out: Outbound) -> None:
    out.site.deliver(mail(sender="echo@customer.example", subject="Echo"))
    (sent,) = out.flush()
    again = out.site.deliver(sent.as_bytes())  # e.g. a customer's forwarder sending it straight back
    assert again.outcome == "loop" and again.ticket_id is None
    assert out.flush() == []


def as_other_installation(
    reply: EmailMessage, other: str, *, keep_auto_headers: bool, keep_thread: bool
) -> bytes:
    """Installation B (address ``other``) auto-replies to our auto-reply."""
    subject = (
        str(reply["Subject"]) if keep_thread else re.sub(r"\[Ticket#\d+\]\s*", "", str(reply["Subject"]))
    )
    headers = {"Auto-Submitted": "auto-replied", "Precedence": "bulk"} if keep_auto_headers else {}
    body = f"Thank you, your mail has been received.\n\n> {text_of(reply).splitlines()[0]}\n"
    return mail(
        subject=f"RE: {subject}" if keep_thread else f"Received: {new_id()}",
        body=body,
        sender=f"Other Helpdesk <{other}>",
        in_reply_to=str(reply["Message-ID"]).strip("<>") if keep_thread else None,
        headers=headers,
    )


def ping_pong(out: Outbound, other: str, *, keep_auto_headers: bool, keep_thread: bool, rounds: int) -> int:
    """Let B answer every auto-reply we send it; returns how many auto-replies we sent to B."""
    sent_to_b = 0
    out.site.deliver(mail(sender=f"Other Helpdesk <{other}>", subject=f"Hello {new_id()}"))
    for _ in range(rounds):
        ours = [item for item in out.flush() if other in str(item["To"])]
        if not ours:
            break
        sent_to_b += len(ours)
        for reply in ours:
            raw = as_other_installation(
                reply, other, keep_auto_headers=keep_auto_headers, keep_thread=keep_thread
            )
            out.site.deliver(raw)
    return sent_to_b


def test_two_installations_stop_at_once_by_rfc3834(out: Outbound) -> None:
    assert ping_pong(out, "helpdesk@b.example", keep_auto_headers=True, keep_thread=True, rounds=60) == 1


def test_two_installations_without_auto_headers_stop_at_the_ticket_limit(out: Outbound) -> None:
    """B drops Auto-Submitted and Precedence but threads: our per-ticket limit (10 a day) ends it."""
    assert ping_pong(out, "helpdesk@c.example", keep_auto_headers=False, keep_thread=True, rounds=60) == 10
    with out.site.session() as session:
        tickets = session.scalars(
            select(Ticket.id).where(Ticket.customer_user_id == "helpdesk@c.example")
        ).all()
    assert len(tickets) == 1
    loop = [name for kind, name in out.site.history(tickets[0]) if kind == "LoopProtection"]
    assert loop == ["%%helpdesk@c.example"]


def test_two_installations_opening_new_tickets_stop_at_the_address_limit(out: Outbound) -> None:
    """B drops every auto header and thread marker, so each mail opens a ticket: 40 a day per address."""
    assert ping_pong(out, "helpdesk@d.example", keep_auto_headers=False, keep_thread=False, rounds=80) == 40


def test_recipient_that_bounced_before_sending_is_suppressed(out: Outbound) -> None:
    done = out.site.deliver(mail(sender="soon.gone@customer.example", subject="Laptop"))
    with out.site.services.sessions.begin() as session:
        session.execute(
            insert(UndeliverableAddress).values(
                address="soon.gone@customer.example",
                status="5.1.1",
                permanent=1,
                bounce_count=1,
                first_seen=datetime(2026, 11, 25),
                last_seen=datetime(2026, 11, 25),
            )
        )
    assert out.flush() == []
    (row,) = out.site.outbox(done.ticket_id, "auto_reply")
    assert row.state == "suppressed" and "undeliverable" in (row.last_error or "")


def test_html_auto_response_gets_a_derived_text_part(out: Outbound) -> None:
    with out.site.services.sessions.begin() as session:
        original = session.get_one(AutoResponse, 3).text0
        session.execute(
            update(AutoResponse)
            .where(AutoResponse.id == 3)
            .values(
                content_type="text/html",
                text0="<p>Dear &lt;OTRS_CUSTOMER_REALNAME&gt;,</p><p>we got your follow-up on"
                " &lt;OTRS_TICKET_TicketNumber&gt;:</p>&lt;OTRS_CUSTOMER_EMAIL[2]&gt;"
                "<p>{{ signature }}</p>",
            )
        )
    try:
        first = new_id()
        done = out.site.deliver(mail(message_id=first, sender="Ann <ann@customer.example>"))
        out.flush()
        out.site.deliver(
            mail(in_reply_to=first, sender="Ann <ann@customer.example>", body="a <b> c\nsecond\nthird\n")
        )
        (sent,) = out.flush()
    finally:
        with out.site.services.sessions.begin() as session:
            session.execute(
                update(AutoResponse)
                .where(AutoResponse.id == 3)
                .values(content_type="text/plain", text0=original)
            )
    tn = tn_of(out, done.ticket_id)
    html = html_of(sent)
    assert f"<p>Dear Ann,</p><p>we got your follow-up on {tn}:</p>" in html
    assert '<blockquote type="cite">a &lt;b&gt; c<br/>\nsecond</blockquote>' in html
    assert "Your Ticket-Team" in html and "third" not in html  # the queue's signature, escaped into the HTML
    text = text_of(sent)
    assert f"Dear Ann,\n\nwe got your follow-up on {tn}:" in text and "a <b> c" in text


def test_one_auto_response_speaks_the_customers_language(out: Outbound) -> None:
    with out.site.services.sessions.begin() as session:
        original = session.get_one(AutoResponse, 1).text0
        session.execute(
            update(AutoResponse)
            .where(AutoResponse.id == 1)
            .values(
                text0="{% if language == 'de' %}Danke, <OTRS_CUSTOMER_REALNAME>!"
                "{% else %}Thank you!{% endif %}"
            )
        )
        session.execute(
            insert(CustomerPreference).values(
                user_id="lena@customer.example", preferences_key="UserLanguage", preferences_value="de"
            )
        )
    try:
        out.site.deliver(mail(sender="Lena Berg <lena@customer.example>", subject="Drucker"))
        out.site.deliver(mail(sender="Liam Roe <liam@customer.example>", subject="Printer"))
        german, english = out.flush()
    finally:
        with out.site.services.sessions.begin() as session:
            session.execute(update(AutoResponse).where(AutoResponse.id == 1).values(text0=original))
    assert text_of(german).strip() == "Danke, Lena Berg!"
    assert text_of(english).strip() == "Thank you!"
