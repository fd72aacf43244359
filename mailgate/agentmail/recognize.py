"""Find an agent reply address among a mail's recipients and tell valid, expired and forged tokens apart."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Literal

from mailgate.tokens import AgentToken, parse_agent_reply_address
from parsers.model import ParsedMessage

TRACE_HEADERS = ("Delivered-To", "X-Original-To", "Envelope-To")
"""Headers our MTA adds with the envelope recipient (the same ones the follow-up token step reads)."""

FOREVER_DAYS = 10**6
_AGENT_SHAPE = re.compile(r"[+\-]a-[0-9]{1,19}-[0-9]{1,19}-[0-9]{1,6}-[a-z2-7]{16}@", re.I | re.ASCII)

TokenStatus = Literal["valid", "expired", "forged"]
_RANK: dict[TokenStatus, int] = {"valid": 0, "expired": 1, "forged": 2}


@dataclass(frozen=True, slots=True)
class FoundToken:
    """An agent reply address among the recipients; ``token`` is None when its signature is wrong."""

    address: str
    status: TokenStatus
    token: AgentToken | None = None


def recipients(parsed: ParsedMessage, envelope: Iterable[str]) -> list[str]:
    """Envelope recipients, To, Cc and the MTA's Delivered-To-like headers, without duplicates."""
    found = [*envelope, *(item.email for item in (*parsed.to, *parsed.cc))]
    found += [value.strip() for header in TRACE_HEADERS for value in parsed.header_all(header)]
    return list(dict.fromkeys(item.strip() for item in found if item and item.strip()))


def classify(secret: str, address: str, today: date, max_age_days: int) -> FoundToken | None:
    """Whether ``address`` is an agent reply address, and whether its token is valid, expired or forged."""
    if not _AGENT_SHAPE.search(address.strip().strip("<>")):  # every token we issue has this shape
        return None
    token = parse_agent_reply_address(secret, address, today=today, max_age_days=max_age_days)
    if token is not None:
        return FoundToken(address, "valid", token)
    signed = parse_agent_reply_address(secret, address, today=today, max_age_days=FOREVER_DAYS)
    if signed is not None:
        return FoundToken(address, "expired", signed)
    return FoundToken(address, "forged")


def find_agent_token(
    parsed: ParsedMessage, envelope: Iterable[str], secret: str, today: date, max_age_days: int
) -> FoundToken | None:
    """The best agent reply address among the recipients: a valid one first, then expired, then forged."""
    found = [classify(secret, address, today, max_age_days) for address in recipients(parsed, envelope)]
    candidates = [item for item in found if item is not None]
    return min(candidates, key=lambda item: _RANK[item.status], default=None)
