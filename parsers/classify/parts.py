"""Walk a report mail: its human-readable text, its status fields and the returned original."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.message import Message

ORIGINAL_TYPES = frozenset(
    {
        "message/rfc822",
        "text/rfc822-headers",
        "text/rfc822-header",
        "message/rfc822-headers",
        "message/global",
        "message/global-headers",
    }
)
STATUS_TYPES = frozenset(
    {"message/delivery-status", "message/global-delivery-status", "text/delivery-status"}
)
MAX_PARTS = 64
MAX_TEXT = 200_000
_TAG = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]*>", re.S | re.I)
_BREAK = re.compile(r"<\s*(br|/p|/div|/tr|/li|/h\d|p|div|tr)\b[^>]*>", re.I)
_ENTITY = {"&nbsp;": " ", "&lt;": "<", "&gt;": ">", "&amp;": "&", "&quot;": '"', "&#39;": "'"}


@dataclass(slots=True)
class ReportParts:
    """The pieces of a mail that matter when reading it as a report."""

    texts: list[str] = field(default_factory=list)
    status_blocks: list[str] = field(default_factory=list)
    originals: list[Message] = field(default_factory=list)
    original_texts: list[str] = field(default_factory=list)
    content_types: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """All human-readable text, joined."""
        return "\n".join(self.texts)


def unify_newlines(text: str) -> str:
    """Text with CRLF and lone CR line ends turned into LF, so that line-anchored patterns work."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def decode_part(part: Message) -> str:
    """The decoded text of a single, non-multipart part, with LF line ends; never raises."""
    return unify_newlines(_decoded(part))


def _decoded(part: Message) -> str:
    """The decoded text of a part, as it came."""
    try:
        payload = part.get_payload(decode=True)
    except Exception:  # a broken transfer encoding: fall back to the raw text
        payload = None
    if not isinstance(payload, bytes):
        raw = part.get_payload()
        return raw if isinstance(raw, str) else ""
    charset = (part.get_content_charset() or "utf-8").strip().lower()
    for candidate in (charset, "utf-8", "latin-1"):
        try:
            return payload[:MAX_TEXT].decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return payload[:MAX_TEXT].decode("latin-1")


def html_to_text(markup: str) -> str:
    """A rough plain-text rendering of HTML, good enough to find addresses and codes."""
    text = _BREAK.sub("\n", markup)
    text = _TAG.sub("", text)
    for entity, char in _ENTITY.items():
        text = text.replace(entity, char)
    return text


def _message_text(part: Message, limit: int = 4) -> str:
    """The text of an embedded message or header part, as it was returned."""
    payload = part.get_payload()
    if isinstance(payload, list):
        pieces = []
        for inner in payload[:limit]:
            if isinstance(inner, Message):
                try:
                    pieces.append(unify_newlines(inner.as_string()))
                except Exception:  # an embedded mail too broken to print
                    continue
        return "\n".join(pieces)
    return decode_part(part)


def collect(message: Message) -> ReportParts:
    """Sort the parts of a mail into text, status fields and returned originals."""
    parts = ReportParts()
    html: list[str] = []
    _visit(message, parts, html, depth=0)
    if not parts.texts and html:
        parts.texts.extend(html_to_text(item) for item in html)
    return parts


def _visit(part: Message, parts: ReportParts, html: list[str], depth: int) -> None:
    """Depth-first walk that stops at returned originals."""
    if len(parts.content_types) >= MAX_PARTS or depth > 8:
        return
    ctype = part.get_content_type()
    parts.content_types.append(ctype)
    if ctype in ORIGINAL_TYPES:
        _keep_original(part, parts)
    elif ctype in STATUS_TYPES:
        parts.status_blocks.append(_message_text(part, limit=500))
    elif part.is_multipart() or ctype.startswith("multipart/"):
        _visit_children(part, parts, html, depth)
    elif ctype == "text/html":
        html.append(decode_part(part))
    elif ctype.startswith("text/") or ctype == "application/json":
        parts.texts.append(decode_part(part))


def _visit_children(part: Message, parts: ReportParts, html: list[str], depth: int) -> None:
    """The inner parts of a multipart; a multipart whose boundaries were lost is read as text."""
    payload = part.get_payload()
    if isinstance(payload, str):
        parts.texts.append(unify_newlines(payload[:MAX_TEXT]))
        return
    for inner in payload or []:
        if isinstance(inner, Message):
            _visit(inner, parts, html, depth + 1)


def _keep_original(part: Message, parts: ReportParts) -> None:
    """Remember a returned original message or its headers."""
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        parts.originals.append(payload[0])
    parts.original_texts.append(_message_text(part))
