"""Guards for views: signed in, admin, permission on a queue or on a ticket's queue."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import abort
from flask_login import current_user, login_required

from schema import Queue, Ticket
from webui.auth.users import Agent
from webui.db import db
from webui.permissions import READ

P = ParamSpec("P")
R = TypeVar("R")

__all__ = ["admin_required", "current_agent", "login_required", "queue_or_403", "ticket_or_404"]


def current_agent() -> Agent:
    """The signed-in agent (use inside views guarded by login_required)."""
    agent = current_user._get_current_object()
    if not isinstance(agent, Agent):
        abort(401)
    return agent


def admin_required(view: Callable[P, R]) -> Callable[P, R]:
    """Only signed-in members of the 'admin' group (rw) may use the view; others get 403."""

    @wraps(view)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        if not current_agent().is_admin:
            abort(403)
        return view(*args, **kwargs)

    return login_required(guarded)


def queue_or_403(queue_id: int, key: str = READ) -> Queue:
    """The queue if the agent holds `key` (or rw) in its group; 404 if absent, 403 if not permitted."""
    queue = db().get(Queue, queue_id)
    if queue is None:
        abort(404)
    if not current_agent().permissions.has(queue.group_id, key):
        abort(403)
    return queue


def ticket_or_404(ticket_id: int, key: str = READ) -> Ticket:
    """The ticket if the agent holds `key` (or rw) in its queue's group; else 404 (ids are not revealed)."""
    session = db()
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        abort(404)
    queue = session.get(Queue, ticket.queue_id)
    if queue is None or not current_agent().permissions.has(queue.group_id, key):
        abort(404)
    return ticket
