"""Attachment filenames from every source real mail uses, decoded and made safe."""

from __future__ import annotations

import mimetypes
import re
from email.message import Message

from parsers.charsets import decode_text
from parsers.headers import decode_words, raw_to_text, unfold

MAX_FILENAME = 255
_UNSAFE = re.compile(r"[\x00-\x1f\x7f]+")
_EXTENSIONS = {
    "text/plain": ".txt",
    "text/html": ".html",
    "message/rfc822": ".eml",
    "message/delivery-status": ".txt",
    "text/rfc822-headers": ".txt",
    "image/jpeg": ".jpg",
    "application/octet-stream": ".bin",
}


def _param(part: Message, name: str, header: str, defects: list[str]) -> str | None:
    """One parameter (RFC 2231 continuations and charsets included) as text, or None."""
    raw = next((str(v) for k, v in part.raw_items() if k.lower() == header), None)
    if raw is None:
        return None
    source = part
    if not raw.isascii():  # raw 8-bit: compat32 would turn it into U+FFFD, so repair it first
        source = Message()
        source[header] = raw_to_text(raw, (), defects)
    try:
        value = source.get_param(name, header=header)
    except Exception:  # compat32 raises on some malformed parameter lists
        return None
    if value is None or value == "":
        return None
    if isinstance(value, tuple):  # RFC 2231: (charset, language, percent-decoded text as latin-1)
        charset, _language, text = value
        data = str(text).encode("latin-1", "surrogateescape")
        return decode_text(data, charset or "utf-8", defects, "filename")
    return str(value)


def clean_filename(name: str, defects: list[str]) -> str:
    """A decoded filename without path parts, control characters or surrounding quotes."""
    name = decode_words(unfold(raw_to_text(name, (), defects)), defects)
    name = name.strip().strip("\"'").replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("", name).strip()
    return name[:MAX_FILENAME]


def declared_filename(part: Message, defects: list[str]) -> str | None:
    """The filename the part declares: Content-Disposition filename, then Content-Type name."""
    for name, header in (("filename", "content-disposition"), ("name", "content-type")):
        value = _param(part, name, header, defects)
        if value:
            cleaned = clean_filename(value, defects)
            if cleaned:
                return cleaned
    return None


def extension_for(content_type: str) -> str:
    """A filename extension that fits a content type ('.bin' when nothing does)."""
    return _EXTENSIONS.get(content_type) or mimetypes.guess_extension(content_type, strict=False) or ".bin"


def invented_filename(label: str, content_type: str) -> str:
    """A name for an unnamed part, from a description/subject or a counter label."""
    label = _UNSAFE.sub(" ", label).replace("/", "-").replace("\\", "-").strip()[:200] or "file"
    extension = extension_for(content_type)
    return label if label.lower().endswith(extension) else label + extension
