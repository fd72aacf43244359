"""Inline uuencoded files inside plain-text bodies (old clients still send them)."""

from __future__ import annotations

import binascii
import re

_BEGIN = re.compile(r"^begin [0-7]{3,4} ([^\r\n]+)\r?\n", re.MULTILINE)
_END = re.compile(r"^end[ \t]*$\r?\n?", re.MULTILINE)
MAX_BLOCKS = 100


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
    files: list[tuple[str, bytes]] = []
    kept: list[str] = []
    position = 0
    while len(files) < MAX_BLOCKS:
        begin = _BEGIN.search(text, position)
        end = _END.search(text, begin.end()) if begin else None
        if begin is None or end is None:  # each search moves forward: linear in the text
            break
        files.append((begin.group(1).strip(), _decode_lines(text[begin.end() : end.start()], defects)))
        kept.append(text[position : begin.start()])
        position = end.end()
    if not files:
        return text, []
    kept.append(text[position:])
    return "".join(kept), files


def decode_uuencoded(payload: str) -> bytes:
    """A part sent with Content-Transfer-Encoding x-uuencode, with or without begin/end lines."""
    lines = [
        line
        for line in payload.splitlines()
        if not line.startswith(("begin ", "begin-base64 ")) and line != "end"
    ]
    return _decode_lines("\n".join(lines), [])
