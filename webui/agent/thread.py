"""The ticket view: header facts and the thread of articles."""

from __future__ import annotations

from flask import render_template, request
from sqlalchemy import select

from schema import Queue, TicketLockType, TicketPriority, TicketState, TicketType, User
from webui.access import login_required, ticket_or_404
from webui.agent import bp
from webui.agent.articles import load_thread
from webui.db import db


def _names(model: type, ids: set[int]) -> dict[int, str]:
    rows = db().execute(select(model.id, model.name).where(model.id.in_(ids)))  # type: ignore[attr-defined]
    return {int(row[0]): str(row[1]) for row in rows}


def _user_names(ids: set[int]) -> dict[int, str]:
    rows = db().execute(select(User.id, User.first_name, User.last_name, User.login).where(User.id.in_(ids)))
    return {uid: f"{first} {last}".strip() or login for uid, first, last, login in rows}


@bp.get("/tickets/<int:ticket_id>")
@login_required
def ticket(ticket_id: int) -> str:
    """One ticket: its facts and every article in order, internal notes set apart."""
    ticket = ticket_or_404(ticket_id)
    session = db()
    facts = {
        "queue": session.get_one(Queue, ticket.queue_id).name,
        "state": _names(TicketState, {ticket.ticket_state_id}).get(ticket.ticket_state_id, "?"),
        "priority": _names(TicketPriority, {ticket.ticket_priority_id}).get(ticket.ticket_priority_id, "?"),
        "lock": _names(TicketLockType, {ticket.ticket_lock_id}).get(ticket.ticket_lock_id, "?"),
        "type": _names(TicketType, {ticket.type_id}).get(ticket.type_id, "") if ticket.type_id else "",
    }
    users = _user_names({ticket.user_id, ticket.responsible_user_id})
    remote = request.args.get("remote", type=int)
    return render_template(
        "agent/ticket.html",
        title=f"[{ticket.tn}] {ticket.title or ''}",
        ticket=ticket,
        facts=facts,
        owner=users.get(ticket.user_id, ""),
        responsible=users.get(ticket.responsible_user_id, ""),
        articles=load_thread(session, ticket.id),
        remote_article=remote,
    )
