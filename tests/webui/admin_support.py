"""Helpers of the admin page tests: signed-in admin and agent clients, posting forms with their token."""

from __future__ import annotations

from typing import Any

from werkzeug.test import TestResponse

from tests.webui.support import Client, WebEnv


def sign_in_admin(web: WebEnv, client: Client) -> str:
    """Sign `client` in as a new admin (rw in 'admin' and 'users'); returns the login."""
    login, password = web.agent({"admin": "rw", "users": "rw"})
    assert client.login(login, password).status_code == 302
    return login


def sign_in_agent(web: WebEnv, client: Client) -> str:
    """Sign `client` in as a new agent without the admin group."""
    login, password = web.agent({"users": "rw"})
    assert client.login(login, password).status_code == 302
    return login


def post_form(client: Client, path: str, data: dict[str, Any], *, page: str | None = None) -> TestResponse:
    """POST `data` to `path` with the CSRF token of `page` (default: the admin index)."""
    token = client.csrf(page or "/admin/")
    return client.post(path, data={**data, "csrf_token": token})
