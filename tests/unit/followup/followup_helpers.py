"""Shared helpers for the follow-up tests: an in-memory implementation of TicketLookups."""

import hashlib
from dataclasses import dataclass, field
from datetime import date

from mailgate.followup import FollowupContext
from parsers.model import Address, ParsedMessage

SECRET = "s3cret-for-tests"
SYSTEM_ADDRESS = "support@example.com"
TN_A = "2026112510000017"  # ticket 1, customer alice
TN_B = "2026112510000026"  # ticket 2, customer bob
TN_UNKNOWN = "2026112510000099"  # valid check digit, no such ticket
TODAY = date(2026, 11, 25)


@dataclass
class InMemoryTickets:
    """Tickets by number and stored article Message-IDs, as Znuny keeps them (raw value with brackets)."""

    numbers: dict[str, int] = field(default_factory=dict)
    stored_message_ids: dict[str, int] = field(default_factory=dict)
    calls: list[tuple[str, object]] = field(default_factory=list)

    def find_ticket_by_message_ids(self, md5s: list[str]) -> int | None:
        self.calls.append(("message_ids", list(md5s)))
        index = {
            hashlib.md5(raw.encode()).hexdigest(): ticket for raw, ticket in self.stored_message_ids.items()
        }
        return next((index[item] for item in md5s if item in index), None)

    def find_ticket_by_number(self, tn: str) -> int | None:
        self.calls.append(("number", tn))
        return self.numbers.get(tn)

    def ticket_exists(self, ticket_id: int) -> bool:
        self.calls.append(("exists", ticket_id))
        return ticket_id in self.numbers.values()


def make_tickets() -> InMemoryTickets:
    return InMemoryTickets(
        numbers={TN_A: 1, TN_B: 2},
        stored_message_ids={
            "<first@alice.example>": 1,
            "<agent-answer@example.com>": 1,
            "<bob@bob.example>": 2,
        },
    )


def make_context(tickets: InMemoryTickets, **overrides: object) -> FollowupContext:
    values: dict[str, object] = {
        "secret": SECRET,
        "system_id": "10",
        "lookups": tickets,
        "system_addresses": frozenset({SYSTEM_ADDRESS, "sales@example.com"}),
    }
    values.update(overrides)
    return FollowupContext(**values)  # type: ignore[arg-type]


def make_message(sender: str = "alice@alice.example", **overrides: object) -> ParsedMessage:
    message = ParsedMessage(from_=Address(sender), to=[Address(SYSTEM_ADDRESS)], subject="Printer broken")
    for key, value in overrides.items():
        setattr(message, key, value)
    return message
