"""Tell bounces, delivery reports, auto-replies, complaints and list mail from people's mail."""

from __future__ import annotations

from email.message import Message

from parsers.classify import (
    arf,
    autoreply,
    dsn,
    evidence,
    listmail,
    notification,
    original,
    status,
    textbounce,
)
from parsers.classify.headers import HeaderView
from parsers.classify.parts import ORIGINAL_TYPES, STATUS_TYPES, ReportParts, collect, unify_newlines
from parsers.model import BounceReport, Kind

__all__ = ["classify"]

Result = tuple[Kind, BounceReport | None]
REPORT_TYPES = STATUS_TYPES | {"message/feedback-report", "multipart/report"}


def classify(message: Message, headers: list[tuple[str, str]], text: str) -> Result:
    """The kind of a mail and, for bounces and delivery reports, what it reports; never raises."""
    try:
        return _classify(message, HeaderView(headers), unify_newlines(text or ""))
    except Exception:  # classification must never lose a mail: an error means ordinary mail
        return "normal", None


def _classify(message: Message, view: HeaderView, text: str) -> Result:
    """Cheap checks first; reports are only taken apart when something points to one."""
    content_types = _content_types(message)
    if not _may_be_report(view, content_types, text):
        return _ordinary(view), None
    parts = _report_parts(message, view)
    if arf.is_complaint(message, view, parts):
        return "complaint", None
    event = notification.read(parts.text or text)
    if event is not None:
        return event
    is_report = message.get_content_type() == "multipart/report"
    found = _delivery_status(parts, view, text, is_report) or _text_bounce(parts, view, text)
    if found is not None:
        return found
    if evidence.sender_is_daemon(view) and _text_bounce_evidence(view, parts.text or text):
        return "normal", None  # a failure notice we cannot read: a person should see it
    return _ordinary(view), None


def _report_parts(message: Message, view: HeaderView) -> ReportParts:
    """The report's parts; status fields written into the text count too.

    Some mail systems wrap their report in an attached mail: a daemon's mail without
    report parts of its own is read from its first attached mail that has them.
    """
    parts = collect(message)
    if not parts.status_blocks and evidence.sender_is_daemon(view):
        for inner in parts.originals:
            nested = collect(inner)
            if nested.status_blocks:
                return nested
    if not parts.status_blocks and dsn.FIELDS_IN_TEXT.search(parts.text):
        parts.status_blocks.append(textbounce.report_section(parts.text))
    return parts


def _content_types(message: Message) -> list[str]:
    """Content types of the mail's parts, without descending into attached mails."""
    found: list[str] = []
    stack = [message]
    while stack and len(found) < 64:
        part = stack.pop()
        ctype = part.get_content_type()
        found.append(ctype)
        payload = part.get_payload()
        if isinstance(payload, list) and ctype not in ORIGINAL_TYPES and ctype not in STATUS_TYPES:
            stack.extend(inner for inner in reversed(payload) if isinstance(inner, Message))
    return found


def _may_be_report(view: HeaderView, content_types: list[str], text: str) -> bool:
    """Whether anything points to a machine-written report: structure, sender or vendor flags."""
    if any(ctype in REPORT_TYPES for ctype in content_types):
        return True
    if evidence.sender_is_daemon(view) or evidence.null_sender(view) or view.has("x-failed-recipients"):
        return True
    if evidence.sender_is_noreply(view) and any(ctype in ORIGINAL_TYPES for ctype in content_types):
        return True
    if view.has("x-apple-unsubscribe") or (
        "message/rfc822" in content_types and "hotmail" in view.address("from")
    ):
        return True
    head = text.lstrip()[:2000]
    return head.startswith("{") and ("notificationType" in head or "eventType" in head)


def _delivery_status(parts: ReportParts, view: HeaderView, text: str, is_report: bool) -> Result | None:
    """An RFC 3464 report: bounce when any recipient failed, delivery report otherwise.

    Status fields count when the mail is a multipart/report or comes from a mail system;
    a person's mail that merely carries such a part stays a person's mail.
    """
    if not parts.status_blocks or not (is_report or _machine_sender(view)):
        return None
    recipients = dsn.recipients(parts.status_blocks)
    if not recipients:
        return None
    recipients = dsn.refine(
        recipients, textbounce.windows(textbounce.report_section(parts.text), [r.email for r in recipients])
    )
    failed = [r for r in recipients if dsn.is_failure(r)]
    report = BounceReport(
        recipients=failed or recipients, original_message_id=original.message_id(parts, parts.text or text)
    )
    return ("bounce" if failed else "delivery-report"), report


def _machine_sender(view: HeaderView) -> bool:
    """A mailer daemon, an empty envelope sender, a no-reply address or Exim's failure header."""
    return (
        evidence.sender_is_daemon(view)
        or evidence.null_sender(view)
        or evidence.sender_is_noreply(view)
        or view.has("x-failed-recipients")
    )


def _text_bounce(parts: ReportParts, view: HeaderView, text: str) -> Result | None:
    """A bounce that only says so in words: trusted only from a mail system."""
    body = parts.text or text
    if not _text_bounce_evidence(view, body, returned=bool(parts.original_texts)):
        return None
    section = textbounce.report_section(body)
    # The original's To stands in for the failed recipient only where the report
    # shows an MTA's reply or is titled as a failure.
    vouched = bool(status.reply_code(section) or status.enhanced_codes(section)) or (
        evidence.null_sender(view) and evidence.bounce_subject(view)
    )
    receivers = original.receivers(parts, body) if vouched else []
    recipients = textbounce.parse(body, view, original.senders(parts), receivers)
    if not recipients:
        return None
    return "bounce", BounceReport(recipients=recipients, original_message_id=original.message_id(parts, body))


def _text_bounce_evidence(view: HeaderView, body: str, returned: bool = False) -> bool:
    """A mail system's sender that words a failure; a no-reply sender must also return the original."""
    if autoreply.AUTO_SUBJECT.search(view.get("subject")) or evidence.written_by_person(view):
        return False
    wording = evidence.bounce_wording(body)
    if evidence.sender_is_daemon(view) or view.has("x-failed-recipients"):
        return wording or evidence.bounce_subject(view)
    if evidence.sender_is_noreply(view) and returned:
        return wording
    return evidence.null_sender(view) and wording and evidence.bounce_subject(view)


def _ordinary(view: HeaderView) -> Kind:
    """Auto-reply, list or normal mail, from the headers alone."""
    if autoreply.is_auto_reply(view):
        return "auto-reply"
    if listmail.is_list(view):
        return "list"
    return "normal"
