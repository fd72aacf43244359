"""RenderedMail -> bytes, with threading headers (RFC 5322 and Outlook's), loop and auto-submitted marks."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.headerregistry import Address as HeaderAddress
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid

from mailgate.pipeline.loops import LOOP_HEADER
from mailgate.ticketnumber import build_subject, clean_subject
from mailgate.tokens import issue_message_id
from notifier import fastmime, threadindex
from notifier.render import Address, Attachment, RenderContext, RenderedMail

MAX_REFERENCES = 20  # keep the thread's root and the latest parents
_ANGLE_ID = re.compile(r"<[^<>\s]+>")
_RESERVED = frozenset(
    name.lower()
    for name in (
        "From", "To", "Cc", "Bcc", "Reply-To", "Subject", "Date", "Message-ID", "In-Reply-To", "References",
        "Thread-Topic", "Thread-Index", "Auto-Submitted", "MIME-Version", "Content-Type",
        "Content-Transfer-Encoding", LOOP_HEADER,
    )
)  # fmt: skip


class ComposeError(ValueError):
    """A RenderedMail that cannot become a mail (no recipient, a header a renderer may not set)."""


def new_message_id(mail: RenderedMail, ctx: RenderContext) -> str:
    """The mail's Message-ID: the renderer's, else a signed ticket token, else a plain one of our domain."""
    if mail.message_id:
        return mail.message_id
    if mail.threading.ticket_id:
        return issue_message_id(ctx.secret, ctx.fqdn, mail.threading.ticket_id)
    return make_msgid(domain=ctx.fqdn)


def subject_of(mail: RenderedMail, ctx: RenderContext) -> str:
    """The Subject: with the ticket hook (Znuny's TicketSubjectBuild) when the mail is about a ticket."""
    if mail.threading.tn:
        action = mail.subject_action if mail.subject_action in ("reply", "forward", "new") else "reply"
        return build_subject(mail.threading.tn, mail.subject, ctx.subject_style, action=action)  # type: ignore[arg-type]
    return mail.subject


def references_of(mail: RenderedMail) -> list[str]:
    """References: the answered mail's References then its Message-ID, once each, root kept when cut."""
    found: list[str] = []
    for value in (*mail.threading.references, mail.threading.in_reply_to or ""):
        for item in _ANGLE_ID.findall(value) or ([f"<{value.strip()}>"] if value.strip() else []):
            if item not in found:
                found.append(item)
    if len(found) > MAX_REFERENCES:
        found = [found[0], *found[-(MAX_REFERENCES - 1) :]]
    return found


def _address(item: Address) -> HeaderAddress:
    local, _, domain = item.email.strip().rpartition("@")
    if not local or not domain:
        raise ComposeError(f"not an email address: {item.email!r}")
    return HeaderAddress(display_name=item.name, username=local, domain=domain)


def _body(msg: EmailMessage, mail: RenderedMail) -> None:
    msg.set_content(mail.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    inline = [item for item in mail.attachments if item.content_id]
    if mail.html is not None:
        msg.add_alternative(mail.html, subtype="html", charset="utf-8", cte="quoted-printable")
        html_part = msg.get_payload()[-1]  # type: ignore[index]
        for item in inline:
            maintype, subtype = _split_type(item)
            cid = f"<{(item.content_id or '').strip('<>')}>"
            if isinstance(html_part, EmailMessage):
                html_part.add_related(item.content, maintype, subtype, filename=item.filename, cid=cid)
    for item in mail.attachments:
        if item.content_id and mail.html is not None:
            continue
        maintype, subtype = _split_type(item)
        msg.add_attachment(item.content, maintype, subtype, filename=item.filename)


def _split_type(item: Attachment) -> tuple[str, str]:
    maintype, _, subtype = item.content_type.partition(";")[0].strip().lower().partition("/")
    return (maintype, subtype) if maintype and subtype else ("application", "octet-stream")


HeaderValue = str | tuple[Address, ...]


def header_values(
    mail: RenderedMail,
    ctx: RenderContext,
    *,
    message_id: str,
    now: datetime,
    thread_started: datetime | None = None,
) -> list[tuple[str, HeaderValue]]:
    """The mail's headers in order (addresses as Address tuples); both ways of building bytes use them."""
    if not mail.to and not mail.cc:
        raise ComposeError("a mail needs at least one recipient")
    headers: list[tuple[str, HeaderValue]] = [("From", (mail.sender,))]
    if mail.to:
        headers.append(("To", mail.to))
    if mail.cc:
        headers.append(("Cc", mail.cc))
    headers.append(("Reply-To", (mail.reply_to or mail.sender,)))
    subject = subject_of(mail, ctx)
    headers.append(("Subject", subject))
    headers.append(("Date", format_datetime(now.replace(tzinfo=UTC) if now.tzinfo is None else now)))
    headers.append(("Message-ID", message_id))
    headers += _threading_headers(mail, ctx, subject, now, thread_started)
    headers += _auto_headers(mail, ctx)
    for name, value in mail.headers:
        if name.lower() in _RESERVED:
            raise ComposeError(f"renderers may not set {name}")
        headers.append((name, value))
    return headers


def compose(
    mail: RenderedMail,
    ctx: RenderContext,
    *,
    message_id: str,
    now: datetime,
    thread_started: datetime | None = None,
) -> EmailMessage:
    """The mail as an EmailMessage (policy SMTP: CRLF, folded, RFC 2047 encoded); bytes() gives the raw."""
    headers = header_values(mail, ctx, message_id=message_id, now=now, thread_started=thread_started)
    msg = EmailMessage(policy=SMTP)
    for name, value in headers:
        msg[name] = [_address(item) for item in value] if isinstance(value, tuple) else value
    _body(msg, mail)
    return msg


def compose_bytes(
    mail: RenderedMail,
    ctx: RenderContext,
    *,
    message_id: str,
    now: datetime,
    thread_started: datetime | None = None,
) -> bytes:
    """The raw bytes of the mail: written directly for plain mails (text, text and HTML), else by compose().

    Both give the same mail once parsed (tests/unit/notifier/test_send_compose_fast.py); the direct
    way skips the email package's header parsing and refolding, most of a send's CPU time.
    """
    headers = header_values(mail, ctx, message_id=message_id, now=now, thread_started=thread_started)
    for _, value in headers:
        for item in value if isinstance(value, tuple) else ():
            _address(item)  # the same ComposeError as compose() for an address that is not one
    fast = fastmime.build(headers, mail.text, mail.html) if not mail.attachments else None
    if fast is not None:
        return fast
    return as_bytes(compose(mail, ctx, message_id=message_id, now=now, thread_started=thread_started))


def _threading_headers(
    mail: RenderedMail,
    ctx: RenderContext,
    subject: str,
    now: datetime,
    thread_started: datetime | None,
) -> list[tuple[str, HeaderValue]]:
    threading = mail.threading
    headers: list[tuple[str, HeaderValue]] = []
    if threading.in_reply_to:
        headers.append(
            ("In-Reply-To", (_ANGLE_ID.findall(threading.in_reply_to) or [threading.in_reply_to])[0])
        )
    references = references_of(mail)
    if references:
        headers.append(("References", " ".join(references)))
    topic = threading.topic or clean_subject(subject, ctx.subject_style)
    headers.append(("Thread-Topic", topic or subject))
    if threading.ticket_id:
        index = threadindex.for_mail(
            threading.parent_thread_index,
            thread_guid=threadindex.ticket_guid(ctx.secret, threading.ticket_id),
            thread_started=thread_started or now,
            now=now,
            is_reply=bool(threading.in_reply_to),
        )
    else:
        parent = threadindex.parse(threading.parent_thread_index)
        index = threadindex.reply_to(parent, now) if parent else threadindex.root(now)
    headers.append(("Thread-Index", index.encode()))
    return headers


def _auto_headers(mail: RenderedMail, ctx: RenderContext) -> list[tuple[str, HeaderValue]]:
    headers: list[tuple[str, HeaderValue]] = [(LOOP_HEADER, ctx.fqdn)]
    if mail.auto_submitted:
        headers += [("Auto-Submitted", mail.auto_submitted), ("Precedence", "bulk"),
                    ("X-Auto-Response-Suppress", "All")]  # fmt: skip
    return headers


def envelope_sender(mail: RenderedMail) -> str:
    """MAIL FROM: the sending system address (bounces come back to the queue's address)."""
    return mail.sender.email.strip()


def as_bytes(msg: EmailMessage) -> bytes:
    """The raw bytes of a composed mail (CRLF line ends, 7bit-safe)."""
    return msg.as_bytes(policy=SMTP)
