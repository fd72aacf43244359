"""Agent read views (blueprint "agent"): queue overview, ticket lists and search, ticket thread, files."""

from flask import Blueprint

bp = Blueprint("agent", __name__)

from webui.agent import files, lists, overview, thread  # noqa: E402  (routes register on bp)

__all__ = ["bp", "files", "lists", "overview", "thread"]
