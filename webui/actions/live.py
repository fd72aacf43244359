"""Live list updates by short polling: GET /live/changes?h=&t=&queue= answers from the primary-key indexes.

The first call (no cursor) returns only the cursor: the newest ticket_history id and ticket id. Later calls
cost one max() on each primary key when nothing happened, and when something did, a range scan over the
new rows only: how many new tickets and how many tickets changed in the queues the agent may read.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, jsonify, request
from sqlalchemy import distinct, func, select

from schema import Ticket, TicketHistory
from webui.access import current_agent, login_required
from webui.actions import bp
from webui.db import db
from webui.permissions import queue_ids


def _visible(queue: int | None) -> list[int]:
    allowed = queue_ids(db(), current_agent().permissions)
    if queue is None:
        return allowed
    if queue not in allowed:
        abort(403)
    return [queue]


@bp.get("/live/changes")
@login_required
def changes() -> Response:
    """JSON {"cursor": {"h", "t"}, "new": tickets created since the cursor, "changed": tickets touched}."""
    session = db()
    newest_history = int(session.scalar(select(func.max(TicketHistory.id))) or 0)
    newest_ticket = int(session.scalar(select(func.max(Ticket.id))) or 0)
    body: dict[str, Any] = {"cursor": {"h": newest_history, "t": newest_ticket}, "new": 0, "changed": 0}
    since_history = request.args.get("h", type=int)
    since_ticket = request.args.get("t", type=int)
    if since_history is None or since_ticket is None:
        return jsonify(body)
    queues = _visible(request.args.get("queue", type=int))
    if queues and newest_ticket > since_ticket:
        body["new"] = int(
            session.scalar(
                select(func.count()).where(Ticket.id > since_ticket, Ticket.queue_id.in_(queues))
            ) or 0
        )  # fmt: skip
    if queues and newest_history > since_history:
        body["changed"] = int(
            session.scalar(
                select(func.count(distinct(TicketHistory.ticket_id))).where(
                    TicketHistory.id > since_history,
                    TicketHistory.queue_id.in_(queues),
                    TicketHistory.ticket_id <= since_ticket,
                )
            ) or 0
        )  # fmt: skip
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response
