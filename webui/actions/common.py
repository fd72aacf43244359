"""What every action view needs: the ticket with rw, the clock, the secret, finishing with a flash."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Response, abort, current_app, flash, redirect, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from mailgate.secret import installation_secret
from schema import Ticket
from webui.access import ticket_or_404
from webui.db import db
from webui.permissions import FULL

SECRET_KEY = "mailgate.actions.secret"


def now() -> datetime:
    """Naive UTC now, second precision (Znuny's timestamp(0) columns)."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def writable_ticket(ticket_id: int) -> Ticket:
    """The ticket if the agent has rw on its queue; else 404 (ids are not revealed)."""
    return ticket_or_404(ticket_id, FULL)


def secret() -> str:
    """The installation secret (reply tokens, Message-IDs), read once per app."""
    cache = current_app.extensions
    if SECRET_KEY not in cache:
        state = cache["mailgate"]
        cache[SECRET_KEY] = installation_secret(state.settings, state.services.sessions)
    return str(cache[SECRET_KEY])


def fqdn() -> str:
    """The host name used in Message-IDs."""
    return str(current_app.extensions["mailgate"].settings.fqdn)


def done(ticket_id: int, message: str) -> Response | BaseResponse:
    """Commit the request's transaction, flash the message and go back to the ticket."""
    db().commit()
    flash(message, "success")
    return redirect(url_for("agent.ticket", ticket_id=ticket_id))


def refused(ticket_id: int, message: str) -> Response | BaseResponse:
    """Roll back, flash the reason and go back to the ticket."""
    db().rollback()
    flash(message, "error")
    return redirect(url_for("agent.ticket", ticket_id=ticket_id))


def pending_until() -> datetime | None:
    """The form's pending time (datetime-local, read as UTC), None when empty; 400 when malformed."""
    value = request.form.get("pending_until", "").strip()
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(second=0, microsecond=0, tzinfo=None)
    except ValueError:
        abort(400)
