"""Date header to an aware datetime, tolerating what real clients write."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

_JUNK = re.compile(r"\s*\([^)]*\)\s*$")
_DOTTED_TIME = re.compile(r"(\d{1,2})\.(\d{2})\.(\d{2})")


def _attempt(text: str) -> datetime | None:
    """parsedate_to_datetime without exceptions; naive results are taken as UTC."""
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed is None:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_date(value: str | None, defects: list[str]) -> datetime | None:
    """The Date header as an aware datetime, or None with a defect when it cannot be read."""
    if not value or not value.strip():
        return None
    text = value.strip()
    parsed = _attempt(text)
    if parsed is None:
        repaired = _DOTTED_TIME.sub(r"\1:\2:\3", _JUNK.sub("", text)).replace(",", ", ")
        parsed = _attempt(repaired)
        if parsed is None:
            defects.append(f"date: unreadable {text[:60]!r}")
            return None
        defects.append("date: repaired before reading")
    return parsed
