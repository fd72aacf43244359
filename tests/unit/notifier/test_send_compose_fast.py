"""compose_bytes(): the directly written bytes parse to the same mail as the email package's compose()."""

from __future__ import annotations

from datetime import datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default

import pytest

from mailgate.ticketnumber import format_ticket_number
from notifier import fastmime
from notifier.compose import ComposeError, as_bytes, compose, compose_bytes, header_values
from notifier.render import AUTO_GENERATED, Address, Attachment, RenderContext, RenderedMail, Threading

NOW = datetime(2026, 11, 26, 10, 0, 0)
CTX = RenderContext(fqdn="helpdesk.example.org", system_id="10", secret="s3cret", clock=lambda: NOW)
TN = format_ticket_number(NOW.date(), "10", 17)
LONG = "We have replaced the toner and the printer works again; thank you for your patience. " * 30
MAILS = {
    "plain": RenderedMail(
        sender=Address("support@example.org", "Support"),
        to=(Address("jane@example.com", "Jane"),),
        subject="Printer on fire",
        text="Hello Jane,\nwe are on it.\n",
        threading=Threading(
            ticket_id=42, tn=TN, in_reply_to="<abc@mail.example.com>", references=("<root@mail.example.com>",)
        ),
    ),
    "non-ascii, long, html": RenderedMail(
        sender=Address("support@example.org", "Support Désk, Zürich"),
        to=(Address("jane@example.com", 'Jäne "JD" Doe'), Address("bob@example.com", "Bob, Jr.")),
        cc=tuple(Address(f"watcher{n}@example.com", f"Watcher {n}") for n in range(6)),
        reply_to=Address("support+a-1-2@example.org", "Support"),
        subject="Überhitzter Drucker: " + "sehr lange Betreffzeile mit Umlauten äöü " * 4,
        text="Grüße,\r\ntrailing space \nline with\ttab\n" + LONG + "\n.\nFrom here on\n=?not-a-word?=",
        html="<p>Grüße</p>" + "<p>" + LONG + "</p>",
        threading=Threading(
            ticket_id=42,
            tn=TN,
            references=tuple(f"<ref{n}@example.com>" for n in range(12)),
            in_reply_to="<last@example.com>",
            topic="Drucker",
        ),
        auto_submitted=AUTO_GENERATED,
        headers=(("X-Mailgate-Notification", "new_ticket"),),
    ),
    "ascii, long subject, no ticket number": RenderedMail(
        sender=Address("support@example.org", 'Support (Team) "Desk"'),
        to=(Address("jane@example.com"),),
        subject="About this " + "word " * 30,
        text="no newline at the end",
        threading=Threading(ticket_id=7),
    ),
}


def _both(mail: RenderedMail) -> tuple[EmailMessage, EmailMessage, bytes]:
    slow = as_bytes(compose(mail, CTX, message_id="<id.1@helpdesk.example.org>", now=NOW))
    fast = compose_bytes(mail, CTX, message_id="<id.1@helpdesk.example.org>", now=NOW)
    parsed = [message_from_bytes(raw, policy=default) for raw in (slow, fast)]
    assert all(isinstance(item, EmailMessage) for item in parsed)
    return parsed[0], parsed[1], fast  # type: ignore[return-value]


def _comparable(msg: EmailMessage) -> list[tuple[str, str]]:
    """Headers as parsed; a Thread-Index child block carries random bits, so only its length counts."""
    return [
        (key, str(len(str(value))) if key == "Thread-Index" else str(value))
        for key, value in msg.items()
        if not key.startswith("Content-")
    ]


@pytest.mark.parametrize("name", sorted(MAILS))
def test_direct_bytes_parse_to_the_same_mail(name: str) -> None:
    mail = MAILS[name]
    headers = header_values(mail, CTX, message_id="<id.1@helpdesk.example.org>", now=NOW)
    assert fastmime.build(headers, mail.text, mail.html) is not None  # the direct way was taken
    slow, fast, raw = _both(mail)
    assert raw.isascii() and b"\n" not in raw.replace(b"\r\n", b"")
    assert all(len(line) <= 78 for line in raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n"))
    assert _comparable(fast) == _comparable(slow)
    assert fast.get_content_type() == slow.get_content_type()
    for kind in ("plain", "html"):
        slow_part, fast_part = slow.get_body((kind,)), fast.get_body((kind,))
        assert (slow_part is None) == (fast_part is None)
        if slow_part is not None and fast_part is not None:
            assert fast_part.get_content() == slow_part.get_content()
            assert fast_part.get_content_charset() == "utf-8"


def test_mails_it_does_not_cover_go_through_the_email_package() -> None:
    with_file = RenderedMail(
        sender=Address("support@example.org"),
        to=(Address("jane@example.com"),),
        subject="Invoice",
        text="Attached.",
        attachments=(Attachment("invoice.pdf", b"%PDF-1.4", "application/pdf"),),
    )
    long_name = RenderedMail(
        sender=Address("support@example.org", "Ä" * 60),
        to=(Address("jane@example.com"),),
        subject="Hi",
        text="Hello",
    )
    for mail in (with_file, long_name):
        slow, fast, _ = _both(mail)
        assert _comparable(fast) == _comparable(slow)
        assert fast.get_content_type() == slow.get_content_type()
    bad = RenderedMail(
        sender=Address("support@example.org"), to=(Address("not-an-address"),), subject="x", text="y"
    )
    with pytest.raises(ComposeError):
        compose_bytes(bad, CTX, message_id="<id.2@helpdesk.example.org>", now=NOW)


def test_text_that_looks_like_an_encoded_word_stays_as_written() -> None:
    mail = RenderedMail(
        sender=Address("support@example.org", "=?utf-8?q?x?= Support"),
        to=(Address("jane@example.com"),),
        subject="About =?utf-8?q?this?= and that",
        text="Hello",
    )
    fast = message_from_bytes(
        compose_bytes(mail, CTX, message_id="<id.3@helpdesk.example.org>", now=NOW), policy=default
    )
    assert fast["Subject"] == "About =?utf-8?q?this?= and that"
    assert fast["From"].addresses[0].display_name == "=?utf-8?q?x?= Support"


def test_a_word_longer_than_a_mail_line_goes_through_the_email_package() -> None:
    mail = RenderedMail(
        sender=Address("support@example.org"),
        to=(Address("jane@example.com"),),
        subject="Reference " + "x" * 1200,
        text="Hello",
    )
    raw = compose_bytes(mail, CTX, message_id="<id.4@helpdesk.example.org>", now=NOW)
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    assert message_from_bytes(raw, policy=default)["Subject"] == mail.subject
