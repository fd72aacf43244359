"""Repairs on the raw bytes before MIME parsing, for damage the stdlib parser cannot survive."""

from __future__ import annotations

import re

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
