"""Plain outbound mails written straight to bytes: folded headers, RFC 2047 words, quoted-printable bodies.

The email package's modern API parses and refolds every header it is given, which costs a few
milliseconds per mail; the mails the notifier sends most (a text body, or text and HTML, with
ordinary headers) need none of that. ``build`` writes such a mail and returns None for anything it
does not cover (attachments are never passed in; a header with a line break, a non-ASCII address,
a long non-ASCII display name), and the caller then composes with the email package.
"""

from __future__ import annotations

import binascii
import secrets
from email.header import Header
from email.utils import formataddr

from notifier.render import Address

MAX_LINE = 78
MAX_SMTP_LINE = 998  # RFC 5322's hard limit: a word longer than this is left to the email package
MAX_ENCODED_NAME = 40  # longer non-ASCII display names are left to the email package's folding
CRLF = "\r\n"

HeaderValue = str | tuple[Address, ...]


class _UnsupportedError(Exception):
    """A mail build() does not write (the email package does)."""


def build(headers: list[tuple[str, HeaderValue]], text: str, html: str | None) -> bytes | None:
    """The raw mail (CRLF, 7-bit) for these headers and bodies, or None if the email package must write it."""
    try:
        lines = [_address_header(name, value) if isinstance(value, tuple) else _text_header(name, value)
                 for name, value in headers]  # fmt: skip
    except _UnsupportedError:
        return None
    lines.append("MIME-Version: 1.0")
    if html is None:
        lines += _part_headers("plain")
        return (CRLF.join(lines) + CRLF + CRLF).encode("ascii") + _qp(text)
    boundary = f"===============mg{secrets.token_hex(12)}=="
    lines.append(f'Content-Type: multipart/alternative;{CRLF} boundary="{boundary}"')
    head = (CRLF.join(lines) + CRLF + CRLF).encode("ascii")
    delimiter = f"--{boundary}{CRLF}".encode("ascii")
    parts = [
        delimiter + (CRLF.join(_part_headers(subtype)) + CRLF + CRLF).encode("ascii") + _qp(body)
        for subtype, body in (("plain", text), ("html", html))
    ]
    return head + b"\r\n".join(parts) + f"{CRLF}--{boundary}--{CRLF}".encode("ascii")


def _part_headers(subtype: str) -> list[str]:
    return [f'Content-Type: text/{subtype}; charset="utf-8"', "Content-Transfer-Encoding: quoted-printable"]


def _qp(text: str) -> bytes:
    """The body as the email package writes it: lines ended by CRLF (a last one added), quoted-printable."""
    lines = text.encode("utf-8").splitlines()
    data = b"\n".join(lines) + b"\n"
    return binascii.b2a_qp(data, quotetabs=False, istext=True, header=False).replace(b"\n", b"\r\n")


def _text_header(name: str, value: str) -> str:
    if "\r" in value or "\n" in value:
        raise _UnsupportedError(name)
    if value.isascii() and "=?" not in value:
        return _fold(f"{name}:", value.split(" "), " ")
    encoded = Header(value, "utf-8", header_name=name, maxlinelen=MAX_LINE).encode(linesep=CRLF)
    return f"{name}: {encoded}"


def _address_header(name: str, value: tuple[Address, ...]) -> str:
    return _fold(f"{name}:", [_mailbox(item) for item in value], ", ")


def _mailbox(item: Address) -> str:
    email, display = item.email.strip(), item.name
    if not email.isascii() or "\r" in display or "\n" in display:
        raise _UnsupportedError(email)
    if display.isascii() and "=?" not in display:
        return formataddr((display, email))
    if len(display) > MAX_ENCODED_NAME:
        raise _UnsupportedError(display)
    word = Header(display, "utf-8", maxlinelen=10_000).encode(linesep=CRLF)
    return f"{word} <{email}>"


def _fold(start: str, words: list[str], separator: str) -> str:
    """`start` and the words joined by `separator`, folded before a word where a line would pass 78."""
    line = start + " " + separator.join(words)
    if len(line) <= MAX_LINE:
        return line
    glue = separator.rstrip()
    lines: list[str] = []
    current = start
    for index, word in enumerate(words):
        piece = word + (glue if index < len(words) - 1 else "")
        if current != start and len(current) + 1 + len(piece) > MAX_LINE and word:
            lines.append(current)
            current = ""
        current += " " + piece
    lines.append(current)
    if any(len(line) > MAX_SMTP_LINE for line in lines):
        raise _UnsupportedError(start)
    return CRLF.join(lines)
