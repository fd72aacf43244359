"""RFC 3464 delivery status notifications: the per-recipient fields of message/delivery-status."""

from __future__ import annotations

import re
from dataclasses import replace

from parsers.classify import status as codes
from parsers.model import BounceRecipient

_ADDRESS = re.compile(
    r"(?<![^\s<>\"';:,()\[\]])[^\s<>\"';:,()\[\]]+@[^\s<>\"';:,()\[\]]+\.[^\s<>\"';:,()\[\]]+"
)
_FIELD = re.compile(r"^([A-Za-z][\w-]*)\s*:\s?(.*)$")
FIELDS_IN_TEXT = re.compile(r"^(final|original)-recipient\s*:", re.I | re.M)
PREFER_DIAGNOSTIC = True
MAX_RECIPIENTS = 200
MAX_FIELD = 1000  # bounds the work a hostile report can cause
SUCCESS_ACTIONS = frozenset({"delivered", "relayed", "expanded", "deliverable"})
# A delay is reported as a temporary (4.x.x, not permanent) failure, as sisimai does: see is_failure().
REPORT_ONLY_ACTIONS = SUCCESS_ACTIONS


def field_blocks(text: str) -> list[dict[str, str]]:
    """Split delivery-status text into blocks of unfolded fields (lower-cased names)."""
    blocks: list[dict[str, str]] = []
    current: dict[str, str] = {}
    last = ""
    for line in text.splitlines():
        if not line.strip():
            if current:
                blocks.append(current)
            current, last = {}, ""
        elif line[0] in " \t" and last:
            current[last] += " " + line.strip()
        elif match := _FIELD.match(line):
            last = match.group(1).lower()
            current.setdefault(last, match.group(2).strip())
    if current:
        blocks.append(current)
    return blocks


def address_of(value: str) -> str:
    """The address in a recipient field ('rfc822; a@b', '<a@b>', '"odd local"@b'), lower-cased."""
    value = value[:MAX_FIELD]
    value = value.split(";", 1)[1] if ";" in value else value
    bare = value.strip().strip("<>").strip()
    if re.fullmatch(r'"[^"]+"@[^\s<>@]+|[^\s<>@"]+@[^\s<>@"]+', bare):
        return bare.strip(".").lower()
    match = _ADDRESS.search(value)
    return match.group(0).strip(".").lower() if match else ""


def recipients(status_texts: list[str]) -> list[BounceRecipient]:
    """Every recipient the delivery-status parts report on."""
    found: list[BounceRecipient] = []
    for text in status_texts:
        for block in field_blocks(text):
            recipient = _recipient(block)
            if recipient is not None:
                found.append(recipient)
            if len(found) >= MAX_RECIPIENTS:
                return found
    return found


def _recipient(block: dict[str, str]) -> BounceRecipient | None:
    """One per-recipient block as a BounceRecipient, or None for the per-message block."""
    raw = (
        block.get("final-recipient")
        or block.get("original-recipient")
        or block.get("x-actual-recipient")
        or ""
    )
    email = address_of(raw)
    if not email:
        return None
    action = block.get("action", "").split()[0].lower() if block.get("action", "").split() else ""
    diagnostic = _diagnostic_text(block.get("diagnostic-code", ""))
    status = pick_status(block.get("status", ""), diagnostic, action)
    if not action:
        action = "failed" if status.startswith(("4", "5")) else "delivered"
    return BounceRecipient(
        email=email, status=status, action=action, permanent=status.startswith("5"), diagnostic=diagnostic
    )


def _diagnostic_text(value: str) -> str:
    """A Diagnostic-Code without its type prefix ('smtp; ')."""
    head, sep, tail = value.partition(";")
    return tail.strip() if sep and re.fullmatch(r"\s*[\w-]+\s*", head) else value.strip()


def pick_status(given: str, diagnostic: str, action: str) -> str:
    """The diagnostic's code (the remote server's), else the Status field, else one from the wording."""
    given_codes = codes.ENHANCED.findall(given)
    status = ".".join(given_codes[0]) if given_codes else ""
    in_text = codes.enhanced_codes(diagnostic, "245")
    if (
        in_text
        and (PREFER_DIAGNOSTIC or codes.is_generic(status))
        and (not status or in_text[-1][0] in "45" or status[0] == "2")
    ):
        return codes.most_specific(in_text)
    if status:
        return status
    return (
        codes.recover(diagnostic, temporary=action == "delayed") if action not in SUCCESS_ACTIONS else "2.0.0"
    )


def refine(recipients: list[BounceRecipient], texts: dict[str, str]) -> list[BounceRecipient]:
    """Generic X.0.0 statuses replaced by the code the human-readable report gives for that recipient."""
    refined = []
    for recipient in recipients:
        found = codes.enhanced_codes(texts.get(recipient.email, ""))
        specific = codes.most_specific(found) if found else ""
        if (
            codes.is_generic(recipient.status)
            and specific
            and specific[0] == recipient.status[:1]
            and not specific.endswith(".0.0")
        ):
            diagnostic = recipient.diagnostic or re.sub(r"\s+", " ", texts[recipient.email])[:1000]
            recipient = replace(recipient, status=specific, diagnostic=diagnostic)
        refined.append(recipient)
    return refined


def is_failure(recipient: BounceRecipient) -> bool:
    """Whether a recipient block reports a failure rather than a delivery or a delay."""
    return recipient.action not in REPORT_ONLY_ACTIONS and not recipient.status.startswith("2")
