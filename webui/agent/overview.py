"""The start page: the queues the agent may read, with their tickets counted per state category."""

from __future__ import annotations

from collections import defaultdict

from flask import render_template
from sqlalchemy import func, select

from schema import Ticket
from webui.access import current_agent, login_required
from webui.agent import bp
from webui.agent.states import CATEGORIES, state_categories
from webui.db import db
from webui.permissions import visible_queues


def queue_counts(queue_ids: list[int]) -> dict[int, dict[str, int]]:
    """Queue id -> category -> number of tickets (one grouped query over the ticket_queue_id index)."""
    session = db()
    categories = state_categories(session)
    counts: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(CATEGORIES, 0))
    if not queue_ids:
        return counts
    rows = session.execute(
        select(Ticket.queue_id, Ticket.ticket_state_id, func.count())
        .where(Ticket.queue_id.in_(queue_ids))
        .group_by(Ticket.queue_id, Ticket.ticket_state_id)
    )
    for queue_id, state_id, number in rows:
        category = categories.get(state_id)
        if category is not None:
            counts[queue_id][category] += number
    return counts


@bp.get("/")
@login_required
def overview() -> str:
    """Queues with counts of new, open, pending and closed tickets."""
    queues = visible_queues(db(), current_agent().permissions)
    counts = queue_counts([queue.id for queue in queues])
    totals = {category: sum(counts[queue.id][category] for queue in queues) for category in CATEGORIES}
    return render_template(
        "agent/overview.html",
        title="Queues",
        queues=queues,
        counts=counts,
        totals=totals,
        categories=CATEGORIES,
    )
