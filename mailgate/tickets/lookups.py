"""Lookup rows (states, priorities, sender types, history types...) loaded once and kept by name."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailgate.errors import MailgateError
from schema import (
    ArticleSenderType,
    CommunicationChannel,
    TicketHistoryType,
    TicketLockType,
    TicketPriority,
    TicketState,
    TicketStateType,
    TicketType,
)

VALID = 1


class LookupMissingError(MailgateError):
    """A lookup row that mailgate relies on (e.g. state 'new') is not in the database."""


def _require(table: dict[str, int], name: str, what: str) -> int:
    try:
        return table[name]
    except KeyError:
        raise LookupMissingError(f"{what} {name!r} is missing from the database") from None


@dataclass(frozen=True, slots=True)
class Lookups:
    """Ids of Znuny's lookup rows by name, and each state's state type."""

    states: dict[str, int]
    state_types: dict[int, str]
    priorities: dict[str, int]
    types: dict[str, int]
    locks: dict[str, int]
    sender_types: dict[str, int]
    channels: dict[str, int]
    history_types: dict[str, int]

    def state(self, name: str) -> int:
        """The id of a ticket state by name."""
        return _require(self.states, name, "ticket state")

    def state_type_of(self, state_id: int) -> str:
        """The state type name ('new', 'open', 'closed', 'pending reminder'...) of a state id."""
        return self.state_types.get(state_id, "")

    def priority(self, name: str) -> int:
        """The id of a priority by name."""
        return _require(self.priorities, name, "ticket priority")

    def lock(self, name: str) -> int:
        """The id of a lock type by name."""
        return _require(self.locks, name, "ticket lock type")

    def sender_type(self, name: str) -> int:
        """The id of an article sender type ('agent', 'system', 'customer')."""
        return _require(self.sender_types, name, "article sender type")

    def channel(self, name: str) -> int:
        """The id of a communication channel by name ('Email', 'Internal'...)."""
        return _require(self.channels, name, "communication channel")

    def history_type(self, name: str) -> int:
        """The id of a ticket history type by name."""
        return _require(self.history_types, name, "ticket history type")

    def default_type(self) -> int:
        """The ticket type new tickets get: 'Unclassified' if present, else the lowest valid id."""
        if "Unclassified" in self.types:
            return self.types["Unclassified"]
        if not self.types:
            raise LookupMissingError("no valid ticket type in the database")
        return min(self.types.values())


def _names(session: Session, model: type, *, valid_only: bool = True) -> dict[str, int]:
    query = select(model.id, model.name)  # type: ignore[attr-defined]
    if valid_only and hasattr(model, "valid_id"):
        query = query.where(model.valid_id == VALID)
    return {name: ident for ident, name in session.execute(query)}


def load_lookups(session: Session) -> Lookups:
    """Read every lookup table mailgate uses."""
    type_names = dict(session.execute(select(TicketStateType.id, TicketStateType.name)).all())
    state_types = {
        state_id: type_names.get(type_id, "")
        for state_id, type_id in session.execute(select(TicketState.id, TicketState.type_id))
    }
    return Lookups(
        states=_names(session, TicketState),
        state_types=state_types,
        priorities=_names(session, TicketPriority),
        types=_names(session, TicketType),
        locks=_names(session, TicketLockType),
        sender_types=_names(session, ArticleSenderType),
        channels=_names(session, CommunicationChannel),
        history_types=_names(session, TicketHistoryType),
    )
