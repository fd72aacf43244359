"""Serving behind TLS and reverse proxies: which X-Forwarded-* headers to believe, and Secure cookies."""

from __future__ import annotations

from flask import Flask, has_request_context, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session whose cookie is Secure when configured, and always over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        """SESSION_COOKIE_SECURE, or the request came by HTTPS (as the trusted proxies tell it)."""
        configured = super().get_cookie_secure(app)
        return bool(configured or (has_request_context() and request.is_secure))


def cookie_config(secure: bool) -> dict[str, object]:
    """Flask config of the session and remember-me cookies: HttpOnly, SameSite=Lax, Secure if `secure`."""
    return {
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": secure,
    }


def trust_proxies(app: Flask, count: int) -> None:
    """Take the client address, scheme and host from X-Forwarded-For/-Proto/-Host as set by `count` proxies.

    With 0 (the default) no such header is believed: a client could write any address into it and so
    dodge the sign-in lock-out. With N, each header's N-th value from the right is used (what the
    outermost trusted proxy saw); values a client put in front of it are ignored.
    """
    if count > 0:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=count, x_proto=count, x_host=count, x_port=0, x_prefix=0
        )
