"""Ticket states grouped the way agents think of them: new, open, pending, closed."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from schema import TicketState, TicketStateType

CATEGORIES = ("new", "open", "pending", "closed")
# Znuny's ticket_state_type names -> category; 'removed' and 'merged' belong to none
_TYPE_CATEGORY = {
    "new": "new",
    "open": "open",
    "pending reminder": "pending",
    "pending auto": "pending",
    "closed": "closed",
}


def state_categories(session: Session) -> Mapping[int, str]:
    """ticket_state.id -> category, for every state whose type has one."""
    rows = session.execute(
        select(TicketState.id, TicketStateType.name).join(
            TicketStateType, TicketStateType.id == TicketState.type_id
        )
    )
    return {state_id: _TYPE_CATEGORY[name] for state_id, name in rows if name in _TYPE_CATEGORY}


def states_in(session: Session, category: str) -> list[int]:
    """The state ids of one category ("new", "open", "pending", "closed")."""
    return sorted(state for state, cat in state_categories(session).items() if cat == category)
