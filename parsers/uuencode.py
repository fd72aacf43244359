"""Inline uuencoded files inside plain-text bodies (old clients still send them)."""

from __future__ import annotations

import binascii
import re

_BLOCK = re.compile(
    r"^begin(?:-base64)? [0-7]{3,4} ([^\r\n]+)\r?\n(.*?)^end[ \t]*$\r?\n?", re.MULTILINE | re.DOTALL
)


def _decode_lines(body: str, defects: list[str]) -> bytes:
    """The bytes of a uuencoded block, tolerating the padding quirks of old encoders."""
    out = bytearray()
    for line in body.splitlines():
        if not line or line in ("`", " "):
            continue
        try:
            out += binascii.a2b_uu(line)
        except binascii.Error:
            try:  # some encoders write garbage length bytes; recompute from the line length
                length = ((ord(line[0]) - 32) & 63) * 4 // 3 + 4
                out += binascii.a2b_uu(line[:length])
            except (binascii.Error, IndexError):
                defects.append("uuencode: damaged line skipped")
    return bytes(out)


def extract_uuencoded(text: str, defects: list[str]) -> tuple[str, list[tuple[str, bytes]]]:
    """The text without its uuencoded blocks, and each block as (filename, bytes)."""
    if "begin " not in text:
        return text, []
    files = []
    for match in _BLOCK.finditer(text):
        files.append((match.group(1).strip(), _decode_lines(match.group(2), defects)))
    if not files:
        return text, []
    return _BLOCK.sub("", text), files


def decode_uuencoded(payload: str) -> bytes:
    """A part sent with Content-Transfer-Encoding x-uuencode, with or without begin/end lines."""
    lines = [
        line
        for line in payload.splitlines()
        if not line.startswith(("begin ", "begin-base64 ")) and line != "end"
    ]
    return _decode_lines("\n".join(lines), [])
