"""Small hand-written mails for the parser tests."""

from __future__ import annotations

import base64


def mail(headers: str, body: bytes | str = b"Hello\n", *, crlf: bool = False) -> bytes:
    """Raw mail bytes from a header block (one header per line) and a body."""
    head = headers.strip("\n").encode("utf-8", "surrogateescape") if isinstance(headers, str) else headers
    data = body.encode("utf-8") if isinstance(body, str) else body
    raw = head + b"\n\n" + data
    return raw.replace(b"\n", b"\r\n") if crlf else raw


def b64(data: bytes) -> str:
    """Base64 in 76-character lines, as mail carries it."""
    text = base64.b64encode(data).decode()
    return "\n".join(text[i : i + 76] for i in range(0, len(text), 76))


def multipart(subtype: str, parts: list[str], boundary: str = "BOUNDARY", extra: str = "") -> str:
    """A multipart body (with its Content-Type header line first) from part texts."""
    inner = "".join(f"--{boundary}\n{part.strip(chr(10))}\n" for part in parts)
    return f'Content-Type: multipart/{subtype}; boundary="{boundary}"{extra}\n\n{inner}--{boundary}--\n'
