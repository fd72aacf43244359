"""ISO-2022-JP with the Microsoft/NEC extensions (cp50220/cp50221), decoded through cp932."""

from __future__ import annotations

import re

JIS = "iso-2022-jp"
_ESCAPE = re.compile(rb"\x1b(\(B|\(J|\(I|\$@|\$B|\$\(D|\$\(Q|\$\(O|&@\x1b\$B)")
_DOUBLE = frozenset({b"$@", b"$B", b"&@\x1b$B", b"$(Q", b"$(O"})


def _jis_pair_to_sjis(first: int, second: int) -> bytes:
    """One JIS X 0208 character (two 7-bit bytes) as Shift_JIS bytes."""
    lead = ((first - 0x21) >> 1) + 0x81
    if lead > 0x9F:
        lead += 0x40
    if first & 1:
        trail = second + 0x1F + (1 if second >= 0x60 else 0)
    else:
        trail = second + 0x7E
    return bytes((lead, trail))


def _double(segment: bytes, strict: bool) -> bytes:
    """A run of two-byte JIS characters as Shift_JIS; stray bytes are errors or 0xFF."""
    out = bytearray()
    for index in range(0, len(segment) - 1, 2):
        first, second = segment[index], segment[index + 1]
        if 0x21 <= first <= 0x7E and 0x21 <= second <= 0x7E:
            out += _jis_pair_to_sjis(first, second)
        elif first in (0x0A, 0x0D):  # a line end inside a two-byte run: keep the text going
            out += bytes((first,))
            out += _double(segment[index + 1 :], strict)
            return bytes(out)
        elif strict:
            raise UnicodeDecodeError(JIS, segment, index, index + 2, "not a JIS X 0208 character")
        else:
            out += b"\xff"
    if len(segment) % 2:
        if strict and segment[-1] not in (0x0A, 0x0D):
            raise UnicodeDecodeError(JIS, segment, len(segment) - 1, len(segment), "truncated character")
        out += segment[-1:] if segment[-1] in (0x0A, 0x0D) else b"\xff"
    return bytes(out)


def _single(segment: bytes, katakana: bool, strict: bool) -> bytes:
    """A run of one-byte text: ASCII/JIS-Roman, or half-width katakana (ESC ( I)."""
    if katakana:
        return bytes(b + 0x80 if 0x21 <= b <= 0x5F else b for b in segment)
    if strict and not segment.isascii():
        raise UnicodeDecodeError(JIS, segment, 0, len(segment), "8-bit byte in ISO-2022-JP")
    return segment


def decode_iso2022jp(data: bytes, errors: str = "strict") -> str:
    """Decode ISO-2022-JP and its vendor variants; strict raises UnicodeDecodeError."""
    strict = errors == "strict"
    parts = _ESCAPE.split(data)
    out = bytearray(_single(parts[0], False, strict))
    for index in range(1, len(parts) - 1, 2):
        escape, segment = parts[index], parts[index + 1]
        if escape in _DOUBLE:
            out += _double(segment, strict)
        elif escape == b"$(D":  # JIS X 0212 has no cp932 form
            if strict:
                raise UnicodeDecodeError(JIS, segment, 0, len(segment), "JIS X 0212 not supported")
            out += b"\xff" * (len(segment) // 2)
        else:
            out += _single(segment, escape == b"(I", strict)
    return out.decode("cp932", errors="strict" if strict else "replace")
