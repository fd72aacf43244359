"""Every state-changing route of the app (also those added later) refuses a request without a CSRF token."""

from __future__ import annotations

import re

import pytest

from tests.webui.support import Client, WebEnv

pytestmark = pytest.mark.integration

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def _url(rule: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?[^<>]+>", "1", rule)


def test_every_unsafe_route_needs_the_token(web: WebEnv, client: Client) -> None:
    login, password = web.agent({"admin": "rw", "users": "rw"})
    assert client.login(login, password).status_code == 302
    routes = [
        (rule.rule, method)
        for rule in web.app.url_map.iter_rules()
        for method in sorted((rule.methods or set()) & UNSAFE)
    ]
    assert ("/login", "POST") in routes and ("/logout", "POST") in routes
    for path, method in routes:
        response = client.open(_url(path), method=method, data={"anything": "x"})
        assert response.status_code == 400, (method, path, response.status_code)
        assert "CSRF" in response.get_data(as_text=True), (method, path)
    assert client.get("/").status_code == 200  # still signed in: nothing above was carried out


def test_a_token_from_another_session_is_refused(web: WebEnv, client: Client) -> None:
    other = web.app.test_client()
    assert isinstance(other, Client)
    foreign = other.csrf("/login")
    login, password = web.agent()
    response = client.post("/login", data={"login": login, "password": password, "csrf_token": foreign})
    assert response.status_code == 400
