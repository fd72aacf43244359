"""Message-ID handling for follow-up matching: normal form, Znuny's md5 key, the ids of a thread."""

from __future__ import annotations

import hashlib
import re

from parsers.model import ParsedMessage

_BRACKETED = re.compile(r"<([^<>\s]+)>")


def bare_message_id(value: str) -> str | None:
    """``id@host`` from ``<id@host>``, a bare ``id@host`` or a header value with comments; else None."""
    found = _BRACKETED.search(value)
    if found:
        return found.group(1)
    token = value.strip()
    return token if token and not any(char.isspace() or char in "<>" for char in token) else None


def message_id_md5(value: str) -> str:
    """Znuny's ``a_message_id_md5``: md5 hex of the Message-ID *with* its angle brackets, ``<id@host>``."""
    bare = bare_message_id(value) or value.strip()
    return hashlib.md5(f"<{bare}>".encode(), usedforsecurity=False).hexdigest()


def thread_message_ids(parsed: ParsedMessage, limit: int = 50) -> list[str]:
    """Bare ids the mail refers to: bounced original, In-Reply-To, then References newest first."""
    candidates: list[str] = []
    if parsed.bounce is not None and parsed.bounce.original_message_id:
        candidates.append(parsed.bounce.original_message_id)
    candidates.extend(parsed.in_reply_to)
    candidates.extend(reversed(parsed.references))
    seen: list[str] = []
    for candidate in candidates:
        bare = bare_message_id(candidate)
        if bare and bare not in seen:
            seen.append(bare)
        if len(seen) >= limit:
            break
    return seen
