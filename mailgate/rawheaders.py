"""Cheap reads from a raw mail's header block, for the intake path that must not parse the whole mail."""

from __future__ import annotations

import re

_HEADER_END = re.compile(rb"\r?\n\r?\n|\r\r")
_MESSAGE_ID = re.compile(rb"^message-id[ \t]*:[ \t]*((?:[^\r\n]|\r?\n[ \t])*)", re.IGNORECASE | re.MULTILINE)
_ANGLE_ID = re.compile(r"<([^<>\s]+)>")
HEADER_SCAN_LIMIT = 256 * 1024


def header_block(raw: bytes) -> bytes:
    """The bytes up to the first empty line (or the first HEADER_SCAN_LIMIT bytes of a mail without one)."""
    head = raw[:HEADER_SCAN_LIMIT]
    match = _HEADER_END.search(head)
    return head[: match.start()] if match else head


def message_id_of(raw: bytes, max_length: int = 998) -> str | None:
    """The bare Message-ID of a raw mail (without angle brackets), or None when it has none."""
    match = _MESSAGE_ID.search(header_block(raw))
    if not match:
        return None
    # control characters (NUL above all, which PostgreSQL text refuses) are never part of an id
    value = re.sub(r"[\s\x00-\x1f\x7f]+", "", match.group(1).decode("utf-8", "replace"))
    angle = _ANGLE_ID.search(value)
    bare = angle.group(1) if angle else value.strip("<>")
    return bare[:max_length] or None
