"""HTTP helpers for files: RFC 6266 Content-Disposition and a safe Content-Type."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from flask import Response

_TOKEN_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")
_CHARSET = re.compile(r"charset\s*=\s*\"?([a-z0-9_.:-]{1,40})\"?", re.IGNORECASE)
# images a browser may show inline from an attachment (never SVG: it can carry scripts)
INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp"})
FILE_CSP = "default-src 'none'; sandbox; frame-ancestors 'self'"


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """`attachment; filename="ascii"; filename*=UTF-8''percent-encoded` (RFC 6266, RFC 8187)."""
    name = "".join(ch for ch in filename if unicodedata.category(ch)[0] != "C").strip() or "attachment"
    fallback = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    fallback = re.sub(r'["\\/]', "_", fallback).strip() or "attachment"
    kind = "inline" if inline else "attachment"
    value = f'{kind}; filename="{fallback}"'
    if fallback != name:
        value += f"; filename*=UTF-8''{quote(name, safe='')}"
    return value


def media_type(content_type: str | None) -> str:
    """The bare type/subtype of a stored Content-Type (lower-cased); unusable values give octet-stream."""
    bare = (content_type or "").split(";", 1)[0].strip().lower()
    return bare if _TOKEN_TYPE.match(bare) else "application/octet-stream"


def safe_content_type(content_type: str | None) -> str:
    """The media type, with a charset kept for text types (no other parameters, no header injection)."""
    bare = media_type(content_type)
    charset = _CHARSET.search(content_type or "")
    if bare.startswith("text/") and charset:
        return f"{bare}; charset={charset.group(1)}"
    return bare


def file_response(data: bytes, filename: str, content_type: str | None, *, inline: bool = False) -> Response:
    """A response carrying a stored file: never run or sniffed, shown inline only when asked and safe."""
    response = Response(data, content_type=safe_content_type(content_type))
    response.headers["Content-Disposition"] = content_disposition(filename, inline=inline)
    response.headers["Content-Security-Policy"] = FILE_CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response
