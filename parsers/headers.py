"""Header values to text: unfolding, raw 8-bit repair and tolerant RFC 2047 decoding."""

from __future__ import annotations

import binascii
import re

from parsers.charsets import decode_text

MAX_HEADER_CHARS = 16_384
_FOLD = re.compile(r"\r?\n(?=[ \t])|\r(?=[ \t])")
_LINE_END = re.compile(r"[\r\n]+")
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?]*)\?=")
_BASE64_JUNK = re.compile(r"[^A-Za-z0-9+/]")


def unfold(value: str) -> str:
    """Join folded header lines (RFC 5322 unfolding) and drop stray line ends."""
    return _LINE_END.sub(" ", _FOLD.sub("", value))


def raw_to_text(value: str, hints: tuple[str, ...], defects: list[str]) -> str:
    """A compat32 header value (8-bit bytes kept as surrogates) as text, bad bytes repaired."""
    if value.isascii():
        return value
    try:
        data = value.encode("ascii", "surrogateescape")
    except UnicodeEncodeError:  # already text (not from bytes): keep it
        return value
    return decode_text(data, None, defects, "header", hints)


def _word_bytes(encoding: str, payload: str) -> bytes | None:
    """The bytes one encoded word carries, or None when its payload is beyond repair."""
    raw = payload.encode("utf-8", "surrogateescape") if not payload.isascii() else payload.encode("ascii")
    if encoding in "qQ":
        return binascii.a2b_qp(raw, header=True)
    cleaned = _BASE64_JUNK.sub("", raw.decode("ascii", "ignore"))
    cleaned = cleaned[: len(cleaned) - len(cleaned) % 4] if len(cleaned) % 4 == 1 else cleaned
    try:
        return binascii.a2b_base64(cleaned + "=" * (-len(cleaned) % 4))
    except binascii.Error:
        return None


def decode_words(value: str, defects: list[str], hints: tuple[str, ...] = ()) -> str:
    """Decode RFC 2047 encoded words, joining adjacent words so split characters survive."""
    if "=?" not in value:
        return value
    out: list[str] = []
    position = 0
    pending: list[tuple[str, bytes]] = []  # (charset, bytes) of adjacent encoded words
    for match in _ENCODED_WORD.finditer(value):
        gap = value[position : match.start()]
        if pending and gap.strip(" \t"):
            out.append(_flush(pending, defects, hints))
            pending = []
        if not pending:
            out.append(gap)
        data = _word_bytes(match.group(2), match.group(3))
        if data is None:
            out.append(_flush(pending, defects, hints) + match.group(0))
            pending = []
            defects.append("header: undecodable encoded word kept as is")
        else:
            pending.append((match.group(1), data))
        position = match.end()
    out.append(_flush(pending, defects, hints))
    out.append(value[position:])
    return "".join(out)


def _flush(pending: list[tuple[str, bytes]], defects: list[str], hints: tuple[str, ...]) -> str:
    """Decode a run of adjacent encoded words, concatenating same-charset bytes first."""
    text: list[str] = []
    index = 0
    while index < len(pending):
        charset, data = pending[index]
        chunk = bytearray(data)
        index += 1
        while index < len(pending) and pending[index][0].lower() == charset.lower():
            chunk += pending[index][1]
            index += 1
        text.append(decode_text(bytes(chunk), charset, defects, "header", hints))
    return "".join(text)


def clip(value: str, defects: list[str], name: str) -> str:
    """Bound a header value's length (hostile mail can carry megabytes in one header)."""
    if len(value) <= MAX_HEADER_CHARS:
        return value
    defects.append(f"header {name}: {len(value)} characters, cut to {MAX_HEADER_CHARS}")
    return value[:MAX_HEADER_CHARS]


def decode_header(value: str, defects: list[str], hints: tuple[str, ...] = (), name: str = "") -> str:
    """A raw header value as readable text: bounded, unfolded, 8-bit repaired, words decoded."""
    text = raw_to_text(clip(value, defects, name), hints, defects)
    return decode_words(unfold(text), defects, hints).strip()


def word_charsets(values: list[str]) -> list[str]:
    """The charsets named by encoded words in these header values."""
    return [match.group(1) for value in values if "=?" in value for match in _ENCODED_WORD.finditer(value)]
