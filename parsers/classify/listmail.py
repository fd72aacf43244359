"""Mailing-list and bulk traffic (RFC 2369/2919 headers, Precedence)."""

from __future__ import annotations

from parsers.classify.headers import HeaderView

LIST_HEADERS = ("list-id", "list-unsubscribe", "list-post", "mailing-list", "x-mailing-list", "list-help")
BULK_PRECEDENCE = frozenset({"bulk", "list", "junk"})


def is_list(view: HeaderView) -> bool:
    """Whether the mail came through a list or as bulk mail."""
    if any(view.has(name) for name in LIST_HEADERS):
        return True
    return view.get("precedence").lower() in BULK_PRECEDENCE
