"""The returned original message of a report: its Message-ID and its sender."""

from __future__ import annotations

import re
from email.message import Message
from email.utils import getaddresses

from parsers.classify.parts import ReportParts

_MESSAGE_ID = re.compile(r"^[ \t]*message-id\s*:\s*<?([^\s<>]+@[^\s<>]+?)>?\s*$", re.I | re.M)
_RECEIVER = re.compile(r"^[ \t]*to\s*:\s*(.+)$", re.I | re.M)
_SENDER = re.compile(r"^[ \t]*(?:from|return-path|sender)\s*:\s*(.+)$", re.I | re.M)


def message_id(parts: ReportParts, text: str) -> str | None:
    """The original Message-ID from a returned message or header part, else from quoted headers."""
    for original in parts.originals:
        value = original.get("Message-ID")
        if value:
            found = _strip(str(value))
            if found:
                return found
    for chunk in [*parts.original_texts, _after_own_text(text, parts), text]:
        match = _MESSAGE_ID.search(chunk)
        if match:
            return match.group(1)
    return None


def senders(parts: ReportParts) -> set[str]:
    """Lower-cased addresses of whoever sent the returned original."""
    found: set[str] = set()
    for original in parts.originals:
        for name in ("From", "Sender", "Return-Path", "Reply-To"):
            found.update(a.lower() for _, a in getaddresses([str(original.get(name, ""))]) if "@" in a)
    for chunk in parts.original_texts:
        for match in _SENDER.finditer(chunk[:20_000]):
            found.update(a.lower() for _, a in getaddresses([match.group(1)]) if "@" in a)
    return found


def receivers(parts: ReportParts, text: str) -> list[str]:
    """Lower-cased To addresses of the returned original, attached or quoted."""
    found: list[str] = []
    values = [str(original.get("To", "")) for original in parts.originals]
    for chunk in [*parts.original_texts, _after_own_text(text, parts)]:
        values.extend(match.group(1) for match in _RECEIVER.finditer(chunk[:20_000]))
    for value in values:
        found.extend(a.lower() for _, a in getaddresses([value]) if "@" in a and a.lower() not in found)
    return found


def _strip(value: str) -> str:
    """A Message-ID without brackets or surrounding space."""
    return value.strip().strip("<>").strip()


def _after_own_text(text: str, parts: ReportParts) -> str:
    """Quoted headers inside a plain-text bounce (after its report section)."""
    match = re.search(r"^[ \t]*(?:from|subject|date|to|received)\s*:", text, re.I | re.M)
    return text[match.start() :] if match else ""


def quoted_originals(text: str) -> str:
    """Header lines quoted in a plain-text bounce, as one block."""
    return "\n".join(line for line in text.splitlines() if re.match(r"\s*[\w-]+\s*:", line))


def first_message(parts: ReportParts) -> Message | None:
    """The first returned original, if the report attached one."""
    return parts.originals[0] if parts.originals else None
