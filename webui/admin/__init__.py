"""Admin pages (blueprint "admin", mounted at /admin): every view is guarded by admin_required."""

from __future__ import annotations

from flask import Blueprint, render_template

from webui.access import admin_required

bp = Blueprint("admin", __name__)


@bp.get("/")
@admin_required
def index() -> str:
    """The admin start page: links to the admin sections."""
    return render_template("admin/index.html", title="Administration")


# the admin areas register their views on bp (imported last: they import bp from here)
from webui.admin import (  # noqa: E402
    addresses,
    agents,
    mailaccounts,
    queues,
    roles,
    routetest,
    rules,
    slas,
    spool,
    texts,
)

__all__ = [
    "addresses",
    "agents",
    "bp",
    "index",
    "mailaccounts",
    "queues",
    "roles",
    "routetest",
    "rules",
    "slas",
    "spool",
    "texts",
]
