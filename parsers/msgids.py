"""Message-ID, In-Reply-To and References values to bare ids (no angle brackets)."""

from __future__ import annotations

import re

MAX_IDS = 500
_BRACKETED = re.compile(r"<([^<>]*)>")
_SPACE = re.compile(r"\s+")
_SEPARATORS = re.compile(r"[\s,;]+")


def message_ids(value: str | None) -> list[str]:
    """Every id in the header: the <bracketed> ones, else bare tokens that look like ids."""
    if not value:
        return []
    found = [_SPACE.sub("", item) for item in _BRACKETED.findall(value)]
    ids = [item for item in found if item]
    if not ids:
        tokens = [t.strip("<>\"'()") for t in _SEPARATORS.split(value)]
        ids = [t for t in tokens if "@" in t] or [t for t in tokens if t][:1]
    unique = list(dict.fromkeys(ids))
    if len(unique) <= MAX_IDS:
        return unique
    return unique[:1] + unique[-(MAX_IDS - 1) :]  # the thread's root and its latest mails


def message_id(value: str | None) -> str | None:
    """The first id of a Message-ID header, or None."""
    ids = message_ids(value)
    return ids[0] if ids else None
