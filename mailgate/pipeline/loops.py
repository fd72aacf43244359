"""Loop protection: mail that comes back from our own system addresses or carries our loop header."""

from __future__ import annotations

from collections.abc import Collection

from parsers.model import ParsedMessage

LOOP_HEADER = "X-Mailgate-Loop"


def loop_reason(parsed: ParsedMessage, system_addresses: Collection[str], fqdn: str) -> str | None:
    """Why this mail is one of our own coming back, or None if it is not."""
    sender = parsed.from_.email.strip().lower() if parsed.from_ else ""
    if sender and sender in system_addresses:
        return f"sent from our own system address {sender}"
    marker = fqdn.strip().lower()
    for value in parsed.header_all(LOOP_HEADER):
        if value.strip().lower() == marker:
            return f"carries our {LOOP_HEADER}: {marker}"
    for value in parsed.header_all("X-Loop"):
        lowered = value.strip().lower()
        if lowered == marker or lowered in system_addresses:
            return f"carries X-Loop: {lowered}"
    return None
