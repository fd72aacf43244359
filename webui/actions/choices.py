"""The choices the ticket view's action forms offer (a template global: ticket_actions(ticket))."""

from __future__ import annotations

from dataclasses import dataclass

from flask import g
from flask_login import current_user
from sqlalchemy import select

from mailgate.permissions import users_with_permission
from mailgate.tickets.lookups import load_lookups
from schema import Queue, Ticket, TicketPriority, TicketState, User
from webui.actions import bp
from webui.auth.users import Agent
from webui.db import db
from webui.permissions import FULL, OWNER, visible_queues

NOT_SETTABLE = ("merged", "removed")
CACHE_KEY = "mailgate_action_choices"


@dataclass(frozen=True, slots=True)
class Option:
    """One <option>: id, label, and a marker (a pending state needs a time)."""

    id: int
    name: str
    pending: bool = False


@dataclass(frozen=True, slots=True)
class ActionChoices:
    """What the agent may pick in the ticket's action forms."""

    states: list[Option]
    priorities: list[Option]
    queues: list[Option]
    owners: list[Option]
    locked: bool


def _owners(group_id: int) -> list[Option]:
    rows = db().execute(
        select(User.id, User.first_name, User.last_name, User.login)
        .where(User.id.in_(users_with_permission(group_id, OWNER)), User.valid_id == 1)
        .order_by(User.login)
    )
    return [Option(uid, f"{first} {last} ({login})".strip()) for uid, first, last, login in rows]


def action_choices(ticket: Ticket) -> ActionChoices | None:
    """The choices for this ticket, or None if the signed-in agent may not act on it (once per request)."""
    cache: dict[int, ActionChoices | None] = g.setdefault(CACHE_KEY, {})
    if ticket.id not in cache:
        cache[ticket.id] = _choices(ticket)
    return cache[ticket.id]


def _choices(ticket: Ticket) -> ActionChoices | None:
    agent = current_user._get_current_object()
    session = db()
    queue = session.get(Queue, ticket.queue_id)
    if not isinstance(agent, Agent) or queue is None or not agent.permissions.has(queue.group_id, FULL):
        return None
    lookups = load_lookups(session)
    states = [
        Option(ident, name, lookups.state_type_of(ident).startswith("pending"))
        for ident, name in session.execute(
            select(TicketState.id, TicketState.name)
            .where(TicketState.valid_id == 1)
            .order_by(TicketState.name)
        )
        if lookups.state_type_of(ident) not in NOT_SETTABLE
    ]
    priorities = [
        Option(ident, name)
        for ident, name in session.execute(
            select(TicketPriority.id, TicketPriority.name)
            .where(TicketPriority.valid_id == 1)
            .order_by(TicketPriority.id)
        )
    ]
    queues = [Option(q.id, q.name) for q in visible_queues(session, agent.permissions, FULL)]
    locked = lookups.locks.get("lock") == ticket.ticket_lock_id
    return ActionChoices(states, priorities, queues, _owners(queue.group_id), locked)


@bp.app_context_processor
def _globals() -> dict[str, object]:
    return {"ticket_actions": action_choices}
