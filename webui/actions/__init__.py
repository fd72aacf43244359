"""Ticket actions (blueprint "actions"): reply, note, forward, state, priority, queue, owner, lock, merge.

Every action needs rw on the ticket's queue; the work is done by the services in mailgate.tickets.
"""

from flask import Blueprint

bp = Blueprint("actions", __name__)

from webui.actions import choices, compose, live, modify  # noqa: E402  (routes register on bp)

__all__ = ["bp", "choices", "compose", "live", "modify"]
