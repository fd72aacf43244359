"""The bytes of parts the stdlib parses into objects (attached mails, delivery reports)."""

from __future__ import annotations

import re
from email import policy
from email.generator import BytesGenerator
from email.message import Message
from io import BytesIO

_HEADER_END = re.compile(rb"\r?\n\r?\n|\r\r")
_UNFOLDING = policy.compat32.clone(max_line_length=0)


class _RawHeaderGenerator(BytesGenerator):
    """A generator that writes headers exactly as they arrived (no refolding, no re-encoding)."""

    def _write_headers(self, msg: Message) -> None:
        """Each raw header line as it was parsed, then the blank line."""
        out = self._fp  # type: ignore[attr-defined]
        newline = self._NL.encode("ascii")  # type: ignore[attr-defined]
        for name, value in msg.raw_items():
            line = f"{name}: {value}" if value else f"{name}:"
            out.write(line.encode("utf-8", "surrogateescape") + newline)
        out.write(newline)


def flatten(message: Message, linesep: str = "\n") -> bytes:
    """A message tree back to bytes, 8-bit text kept and headers as they arrived."""
    buffer = BytesIO()
    generator = _RawHeaderGenerator(buffer, mangle_from_=False, policy=_UNFOLDING.clone(linesep=linesep))
    generator.flatten(message)
    return buffer.getvalue()


def embedded_bytes(part: Message, linesep: str = "\n") -> bytes:
    """The body of a message/* part (the whole attached mail, or the report text) as bytes."""
    payload = part.get_payload()
    is_mail = part.get_content_type() in ("message/rfc822", "message/global")
    if is_mail and isinstance(payload, list) and len(payload) == 1 and isinstance(payload[0], Message):
        return flatten(payload[0], linesep)
    whole = flatten(part, linesep)
    match = _HEADER_END.search(whole)
    return whole[match.end() :] if match else whole
