"""compose(): every threading header, auto-submitted marks, multipart bodies and attachments."""

from __future__ import annotations

from datetime import datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default

import pytest

from mailgate.pipeline.loops import LOOP_HEADER
from mailgate.ticketnumber import find_ticket_numbers, format_ticket_number
from mailgate.tokens import parse_message_id
from notifier import threadindex
from notifier.compose import ComposeError, as_bytes, compose, new_message_id
from notifier.render import (
    AUTO_REPLIED,
    Address,
    Attachment,
    DuplicateRendererError,
    RenderContext,
    RenderedMail,
    RendererRegistry,
    Suppress,
    Threading,
    UnknownKindError,
)

NOW = datetime(2026, 11, 26, 10, 0, 0)
CTX = RenderContext(fqdn="helpdesk.example.org", system_id="10", secret="s3cret", clock=lambda: NOW)
TN = format_ticket_number(NOW.date(), "10", 17)


def _mail(**changes: object) -> RenderedMail:
    base: dict[str, object] = {
        "sender": Address("support@example.org", "Support Désk"),
        "to": (Address("jane@example.com", "Jane"),),
        "subject": "Printer on fire",
        "text": "Hello Jane,\nwe are on it.\n",
        "threading": Threading(
            ticket_id=42,
            tn=TN,
            in_reply_to="<abc@mail.example.com>",
            references=("<root@mail.example.com>",),
        ),
    }
    base.update(changes)
    return RenderedMail(**base)  # type: ignore[arg-type]


def _parsed(mail: RenderedMail) -> EmailMessage:
    message_id = new_message_id(mail, CTX)
    raw = as_bytes(compose(mail, CTX, message_id=message_id, now=NOW, thread_started=datetime(2026, 11, 25)))
    assert b"\r\n" in raw and raw.isascii()
    parsed = message_from_bytes(raw, policy=default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_threading_headers() -> None:
    msg = _parsed(_mail())
    token = parse_message_id(CTX.secret, str(msg["Message-ID"]))
    assert token is not None and token.ticket_id == 42 and token.domain == CTX.fqdn
    assert msg["In-Reply-To"] == "<abc@mail.example.com>"
    assert msg["References"].split() == ["<root@mail.example.com>", "<abc@mail.example.com>"]
    assert str(msg["Subject"]) == f"Re: [Ticket#{TN}] Printer on fire"
    assert find_ticket_numbers(str(msg["Subject"]), system_id="10") == [TN]
    assert msg["Thread-Topic"] == "Printer on fire"
    index = threadindex.parse(str(msg["Thread-Index"]))
    assert index is not None and index.guid == threadindex.ticket_guid(CTX.secret, 42)
    assert len(index.children) == 1 and index.started == datetime(2026, 11, 25)
    assert msg[LOOP_HEADER] == CTX.fqdn
    assert msg["Auto-Submitted"] is None  # a person's answer
    assert msg["From"].addresses[0].display_name == "Support Désk"
    assert msg["Reply-To"].addresses[0].addr_spec == "support@example.org"


def test_parent_thread_index_is_extended() -> None:
    parent = threadindex.root(datetime(2026, 11, 20), bytes(range(16)))
    threading = Threading(ticket_id=42, tn=TN, in_reply_to="<a@b>", parent_thread_index=parent.encode())
    msg = _parsed(_mail(threading=threading))
    index = threadindex.parse(str(msg["Thread-Index"]))
    assert index is not None and index.guid == bytes(range(16)) and len(index.children) == 1


def test_auto_reply_marks_and_reply_address() -> None:
    msg = _parsed(_mail(auto_submitted=AUTO_REPLIED, reply_to=Address("support+t-42-x@example.org")))
    assert msg["Auto-Submitted"] == "auto-replied"
    assert msg["Precedence"] == "bulk" and msg["X-Auto-Response-Suppress"] == "All"
    assert msg["Reply-To"].addresses[0].addr_spec == "support+t-42-x@example.org"


def test_html_alternative_and_attachments() -> None:
    mail = _mail(
        html="<p>Hello <img src='cid:logo@x'></p>",
        attachments=(
            Attachment("report.pdf", b"%PDF-1.4 data", "application/pdf"),
            Attachment("logo.png", b"\x89PNG", "image/png", content_id="logo@x"),
        ),
    )
    msg = _parsed(mail)
    assert msg.get_content_type() == "multipart/mixed"
    types = [part.get_content_type() for part in msg.walk()]
    assert "multipart/alternative" in types and "multipart/related" in types
    assert "text/plain" in types and "text/html" in types
    files = {part.get_filename(): part.get_content() for part in msg.iter_attachments()}
    assert files == {"report.pdf": b"%PDF-1.4 data"}
    logo = next(part for part in msg.walk() if part.get_content_type() == "image/png")
    assert logo["Content-ID"] == "<logo@x>"
    body = msg.get_body(("plain",))
    assert body is not None and "we are on it" in body.get_content()


def test_renderers_cannot_override_reserved_headers() -> None:
    with pytest.raises(ComposeError):
        _parsed(_mail(headers=(("Message-ID", "<evil@x>"),)))
    assert _parsed(_mail(headers=(("X-Mailgate-Notification", "new"),)))["X-Mailgate-Notification"] == "new"


def test_registry_rejects_duplicate_kinds() -> None:
    class One:
        kind = "article"

        def render(self, session: object, row: object, ctx: RenderContext) -> Suppress:
            return Suppress("test")

    registry = RendererRegistry()
    registry.register(One())  # type: ignore[arg-type]
    with pytest.raises(DuplicateRendererError):
        registry.register(One())  # type: ignore[arg-type]
    with pytest.raises(UnknownKindError):
        registry.get("sla_alert")
    assert list(registry.kinds()) == ["article"]
