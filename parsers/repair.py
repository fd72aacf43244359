"""Repairs on the raw bytes before MIME parsing, for damage the stdlib parser cannot survive."""

from __future__ import annotations

import re
from email import policy
from email.message import Message

MAX_HEADER_BLOCK = 1 << 20
_BLANK_LINE = re.compile(rb"\r?\n\r?\n|\r\r")
_HEADER_LINE = re.compile(rb"^[!-9;-~]+[ \t]*:")
_KEY_HEADER = re.compile(
    rb"^(?:from|to|cc|subject|date|message-id|content-type|mime-version|received|return-path|reply-to)"
    rb"[ \t]*:",
    re.IGNORECASE,
)
_LINE = re.compile(rb"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def _lines(head: bytes) -> list[bytes]:
    """The header block's lines, each with its own line ending."""
    return _LINE.findall(head)


def unindented_continuations(raw: bytes, defects: list[str]) -> bytes:
    """Indent header lines that lost their folding whitespace, so later headers are not lost.

    A line in the header block that is neither a header nor a continuation ends the headers for
    the stdlib parser; when real headers (From, Subject, ...) follow it, it was a broken fold.
    """
    end = _BLANK_LINE.search(raw, 0, MAX_HEADER_BLOCK)
    if end is None:
        return raw
    lines = _lines(raw[: end.start()])
    broken = [
        i
        for i, line in enumerate(lines)
        if i > 0 and line[:1] not in (b" ", b"\t") and not _HEADER_LINE.match(line)
    ]
    if not broken or not any(_KEY_HEADER.match(line) for line in lines[broken[0] + 1 :]):
        return raw
    for index in broken:
        lines[index] = b" " + lines[index]
    defects.append(f"header block: {len(broken)} unindented continuation lines repaired")
    return b"".join(lines) + raw[end.start() :]


_LOST_BOUNDARY = re.compile(r"\A\s*boundary\s*=\s*\"?([^\";\r\n]+?)\"?[ \t]*(?:;[^\r\n]*)?(?:\r\n|\r|\n)")
_DELIMITER = re.compile(r"(?:(?<=[\r\n])|\A)--(\S{1,200}?)(--)?[ \t]*(?:\r\n|\r|\n)")
_PART_HEADER = re.compile(r"[A-Za-z][A-Za-z0-9-]*[ \t]*:")
SCAN_CHARS = 65_536


def _boundary_in_use(payload: str) -> str | None:
    """The delimiter a multipart body really uses when its declared boundary is wrong or missing."""
    counts: dict[str, int] = {}
    for match in _DELIMITER.finditer(payload, 0, SCAN_CHARS):
        token = match.group(1)
        if token not in counts and not _PART_HEADER.match(payload, match.end()):
            continue  # the first occurrence must open a part (headers follow)
        counts[token] = counts.get(token, 0) + 1
        if counts[token] >= 2:
            return token
    return None


def _reparsed(content_type: str, boundary: str, body: str) -> Message | None:
    """The body parsed again as a multipart with the given boundary, or None when that fails."""
    from email.parser import BytesFeedParser

    parser = BytesFeedParser(policy=policy.compat32)
    parser.feed(f'Content-Type: {content_type}; boundary="{boundary}"\n\n'.encode())
    parser.feed(body.encode("utf-8", "surrogateescape"))
    fixed = parser.close()
    payload = fixed.get_payload()
    return fixed if isinstance(payload, list) and payload else None


def _repair_multipart(part: Message) -> bool:
    """Give a multipart whose boundary was lost or is wrong its parts back; True when repaired."""
    payload = part.get_payload()
    if not isinstance(payload, str):
        return False
    lost = _LOST_BOUNDARY.match(payload)  # 'boundary=...' lost its folding whitespace
    boundary, body = (lost.group(1).strip(), payload[lost.end() :]) if lost else (None, payload)
    boundary = boundary or _boundary_in_use(payload)
    fixed = _reparsed(part.get_content_type(), boundary, body) if boundary else None
    if fixed is None or boundary is None:
        return False
    part.set_payload(fixed.get_payload())
    part.set_param("boundary", boundary)
    return True


def repair_multiparts(message: Message, defects: list[str], max_parts: int = 500) -> None:
    """Repair, in place, multiparts the stdlib could not split (missing or mismatched boundary)."""
    stack = [(message, 0)]
    seen = 0
    while stack and seen < max_parts:
        part, depth = stack.pop()
        seen += 1
        is_multipart = part.get_content_type().startswith("multipart/")
        if is_multipart and not part.is_multipart() and depth < 20 and _repair_multipart(part):
            defects.append(f"{part.get_content_type()}: boundary repaired")
        payload = part.get_payload()
        if isinstance(payload, list):
            stack.extend((child, depth + 1) for child in payload if isinstance(child, Message))


def _too_long(name: str, value: str, limit: int, top: bool) -> bool:
    """Whether a header value must be cut: any in parts, only Content-* ones at the top."""
    return len(value) > limit and (not top or name.lower().startswith("content-"))


def clip_part_headers(message: Message, defects: list[str], limit: int, max_parts: int = 500) -> None:
    """Cut over-long header values, in place: the stdlib parses parameters in quadratic time.

    The top level keeps its long headers (References may be long) except the Content-* ones.
    """
    stack, seen, clipped = [message], 0, 0
    while stack and seen < max_parts:
        part = stack.pop()
        seen += 1
        top = part is message
        items = [(name, str(value)) for name, value in part.raw_items()]
        if any(_too_long(name, value, limit, top) for name, value in items):
            for name in {name for name, _ in items}:
                del part[name]
            for name, value in items:
                part[name] = value[:limit] if _too_long(name, value, limit, top) else value
            clipped += 1
        payload = part.get_payload()
        if isinstance(payload, list):
            stack.extend(child for child in payload if isinstance(child, Message))
    if clipped:
        defects.append(f"over-long header values cut to {limit} characters in {clipped} parts")
