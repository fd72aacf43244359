"""Response headers every page gets: a strict Content-Security-Policy, no framing, no sniffing, no caching."""

from __future__ import annotations

from flask import Response

# pages of the app itself: only our own scripts, styles and images; framing only of our own URLs
APP_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def apply_security_headers(response: Response) -> Response:
    """Set the default security headers unless the view chose its own (e.g. an article body's CSP)."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", APP_CSP)
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cache-Control", "no-store")
    return response
