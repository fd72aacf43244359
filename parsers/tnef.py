"""Outlook's winmail.dat (application/ms-tnef) expanded into the files it carries."""

from __future__ import annotations

import mimetypes


def is_tnef(content_type: str, filename: str | None) -> bool:
    """True for a TNEF part: by content type or by the usual file name."""
    return content_type in ("application/ms-tnef", "application/vnd.ms-tnef") or (
        (filename or "").lower() == "winmail.dat"
    )


def expand_tnef(data: bytes, defects: list[str]) -> list[tuple[str, str, bytes]]:
    """(filename, content type, bytes) of each file in a TNEF blob; [] when it cannot be read."""
    try:
        from tnefparse import TNEF

        tnef = TNEF(data)
        files = []
        for attachment in tnef.attachments:
            name = attachment.long_filename() or attachment.name or "attachment"
            if isinstance(name, bytes):
                name = name.decode("utf-8", "replace")
            name = str(name).strip("\x00 ")
            content_type = mimetypes.guess_type(name, strict=False)[0] or "application/octet-stream"
            files.append((name, content_type, bytes(attachment.data)))
        return files
    except Exception as error:  # tnefparse raises many kinds of errors on damaged blobs
        defects.append(f"winmail.dat could not be expanded: {type(error).__name__}")
        return []
