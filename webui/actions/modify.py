"""Changing a ticket: state (with pending time), priority, queue, owner, lock/unlock, merge."""

from __future__ import annotations

from flask import Response, abort, request
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from mailgate.tickets import changes
from mailgate.tickets.changes import TicketChangeError
from mailgate.tickets.merge import merge
from schema import Queue, Ticket
from webui.access import current_agent, login_required
from webui.actions import bp
from webui.actions.common import done, now, pending_until, refused, writable_ticket
from webui.db import db
from webui.permissions import FULL, OWNER, load_permissions

Result = Response | BaseResponse


def _int_field(name: str) -> int:
    value = request.form.get(name, type=int)
    if value is None:
        abort(400)
    return value


@bp.post("/tickets/<int:ticket_id>/state")
@login_required
def state(ticket_id: int) -> Result:
    """Set the state; a pending state takes the pending time (UTC) from the form."""
    writable_ticket(ticket_id)
    try:
        changes.set_state(db(), ticket_id, current_agent().id, _int_field("state_id"), now(), pending_until())
    except TicketChangeError as error:
        return refused(ticket_id, str(error))
    return done(ticket_id, "State changed.")


@bp.post("/tickets/<int:ticket_id>/priority")
@login_required
def priority(ticket_id: int) -> Result:
    """Set the priority."""
    writable_ticket(ticket_id)
    try:
        changes.set_priority(db(), ticket_id, current_agent().id, _int_field("priority_id"), now())
    except TicketChangeError as error:
        return refused(ticket_id, str(error))
    return done(ticket_id, "Priority changed.")


@bp.post("/tickets/<int:ticket_id>/queue")
@login_required
def move(ticket_id: int) -> Result:
    """Move the ticket to another queue (rw needed there too)."""
    writable_ticket(ticket_id)
    target = db().get(Queue, _int_field("queue_id"))
    if target is None or not current_agent().permissions.has(target.group_id, FULL):
        abort(403)
    try:
        changes.move(db(), ticket_id, current_agent().id, target.id, now())
    except TicketChangeError as error:
        return refused(ticket_id, str(error))
    return done(ticket_id, f"Moved to {target.name}.")


@bp.post("/tickets/<int:ticket_id>/owner")
@login_required
def owner(ticket_id: int) -> Result:
    """Give the ticket to an agent with the owner (or rw) permission on its queue, as Znuny does."""
    ticket = writable_ticket(ticket_id)
    owner_id = _int_field("owner_id")
    queue = db().get_one(Queue, ticket.queue_id)
    if not load_permissions(db(), owner_id).has(queue.group_id, OWNER):
        return refused(ticket_id, "That agent has no owner or rw permission on this queue.")
    try:
        changes.set_owner(db(), ticket_id, current_agent().id, owner_id, now())
    except TicketChangeError as error:
        return refused(ticket_id, str(error))
    return done(ticket_id, "Owner changed.")


@bp.post("/tickets/<int:ticket_id>/lock")
@login_required
def lock(ticket_id: int) -> Result:
    """Lock the ticket (the agent becomes its owner)."""
    writable_ticket(ticket_id)
    changes.lock(db(), ticket_id, current_agent().id, now())
    return done(ticket_id, "Ticket locked.")


@bp.post("/tickets/<int:ticket_id>/unlock")
@login_required
def unlock(ticket_id: int) -> Result:
    """Unlock the ticket."""
    writable_ticket(ticket_id)
    changes.unlock(db(), ticket_id, current_agent().id, now())
    return done(ticket_id, "Ticket unlocked.")


@bp.post("/tickets/<int:ticket_id>/merge")
@login_required
def merge_into(ticket_id: int) -> Result:
    """Merge this ticket into the ticket with the given number (rw needed on both)."""
    writable_ticket(ticket_id)
    number = request.form.get("target_tn", "").strip()
    target_id = db().scalar(select(Ticket.id).where(Ticket.tn == number)) if number else None
    if target_id is None:
        return refused(ticket_id, f"No ticket with number {number!r}.")
    writable_ticket(target_id)
    try:
        merge(db(), ticket_id, target_id, current_agent().id, now())
    except TicketChangeError as error:
        return refused(ticket_id, str(error))
    return done(target_id, f"Ticket merged into {number}.")
