"""Ticket lists: by queue, state category and owner, with search, sorting and paging."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, render_template, request, url_for
from sqlalchemy import select

from schema import User
from webui.access import current_agent, login_required, queue_or_403
from webui.agent import bp
from webui.agent.search import DEFAULT_SORT, SORTS, TicketQuery, find_tickets
from webui.agent.states import CATEGORIES, states_in
from webui.db import db
from webui.permissions import queue_ids, visible_queues

MAX_PAGE = 10_000


def _owner_id(value: str) -> int | None:
    if not value:
        return None
    if value == "me":
        return current_agent().id
    if value.isdigit():
        return int(value)
    abort(400)
    return None


def _query_from_args() -> tuple[TicketQuery, dict[str, Any]]:
    args = request.args
    queue = args.get("queue", type=int)
    allowed = [queue_or_403(queue).id] if queue else queue_ids(db(), current_agent().permissions)
    state = args.get("state", "")
    if state and state not in CATEGORIES:
        abort(400)
    sort = args.get("sort", DEFAULT_SORT)
    if sort not in SORTS:
        sort = DEFAULT_SORT
    descending = args.get("dir", "desc") != "asc"
    page = min(max(args.get("page", 1, type=int) or 1, 1), MAX_PAGE)
    query = TicketQuery(
        queue_ids=tuple(allowed),
        state_ids=tuple(states_in(db(), state)) if state else None,
        owner_id=_owner_id(args.get("owner", "")),
        text=args.get("q", ""),
        sort=sort,
        descending=descending,
        page=page,
        page_size=int(current_app.config["PAGE_SIZE"]),
    )
    shown = {"queue": queue or "", "state": state, "owner": args.get("owner", ""), "q": query.text}
    return query, {key: value for key, value in shown.items() if value}


@bp.get("/tickets")
@login_required
def tickets() -> str:
    """The ticket list for the filters in the query string (only queues the agent may read)."""
    query, shown = _query_from_args()
    result = find_tickets(db(), query)

    def link(**changes: Any) -> str:
        params = {**shown, "sort": query.sort, "dir": "desc" if query.descending else "asc", **changes}
        return url_for(
            "agent.tickets", **{key: value for key, value in params.items() if value not in ("", None)}
        )

    owners = db().execute(select(User.id, User.login).where(User.valid_id == 1).order_by(User.login)).all()
    return render_template(
        "agent/tickets.html",
        title="Tickets",
        result=result,
        query=query,
        shown=shown,
        link=link,
        queues=visible_queues(db(), current_agent().permissions),
        owners=owners,
        categories=CATEGORIES,
        sorts=list(SORTS),
    )
