"""Behind a reverse proxy and TLS: whose address the lock-out counts, when the session cookie is Secure."""

from __future__ import annotations

import dataclasses
import uuid

import pytest
from flask import Flask

from tests.webui.support import Client, WebEnv
from webui.app import create_app, web_state
from webui.auth.lockout import LockoutPolicy

pytestmark = pytest.mark.integration

PROXY = "10.0.0.1"
POLICY = LockoutPolicy(login_limit=50, address_limit=3)


def app_with(web: WebEnv, **changes: object) -> Flask:
    """Another app on the same database and services, with some settings changed."""
    settings = dataclasses.replace(web_state(web.app).settings, **changes)  # type: ignore[arg-type]
    app = create_app(settings, services=web.services, TESTING=True, LOCKOUT_POLICY=POLICY)
    app.test_client_class = Client
    return app


def client_of(app: Flask, remote_addr: str, **headers: str) -> Client:
    """A test client connecting from `remote_addr` that sends `headers` (WSGI names) with every request."""
    client = app.test_client()
    assert isinstance(client, Client)
    client.environ_base.update(REMOTE_ADDR=remote_addr, **headers)
    return client


def fail_until_locked(client: Client) -> None:
    """POLICY.address_limit failed sign-ins, each for a different unknown login."""
    for _ in range(POLICY.address_limit):
        assert client.login(f"nobody-{uuid.uuid4().hex[:8]}", "wrong").status_code == 401


def set_cookies(response: object) -> list[str]:
    return response.headers.getlist("Set-Cookie")  # type: ignore[attr-defined]


def test_without_trusted_proxies_a_forged_forwarded_for_does_not_dodge_the_lock_out(web: WebEnv) -> None:
    app = app_with(web, web_trusted_proxies=0)
    attacker = client_of(app, "192.0.2.10")
    for n in range(POLICY.address_limit):  # a new "address" in the header for every guess
        attacker.environ_base["HTTP_X_FORWARDED_FOR"] = f"203.0.113.{n + 1}"
        assert attacker.login(f"nobody-{uuid.uuid4().hex[:8]}", "wrong").status_code == 401
    login, password = web.agent()
    attacker.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.99"
    assert attacker.login(login, password).status_code == 429


def test_with_one_trusted_proxy_clients_behind_it_are_counted_apart(web: WebEnv) -> None:
    app = app_with(web, web_trusted_proxies=1)
    attacker = client_of(app, PROXY, HTTP_X_FORWARDED_FOR="198.51.100.20")
    colleague = client_of(app, PROXY, HTTP_X_FORWARDED_FOR="198.51.100.21")
    fail_until_locked(attacker)
    login, password = web.agent()
    assert attacker.login(login, password).status_code == 429
    assert colleague.login(login, password).status_code == 302


def test_with_one_trusted_proxy_a_value_put_before_the_proxys_is_ignored(web: WebEnv) -> None:
    app = app_with(web, web_trusted_proxies=1)
    attacker = client_of(app, PROXY)
    for n in range(POLICY.address_limit):  # the proxy appends the real address to what the client sent
        attacker.environ_base["HTTP_X_FORWARDED_FOR"] = f"203.0.113.{n + 1}, 198.51.100.30"
        assert attacker.login(f"nobody-{uuid.uuid4().hex[:8]}", "wrong").status_code == 401
    login, password = web.agent()
    attacker.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.99, 198.51.100.30"
    assert attacker.login(login, password).status_code == 429


def test_session_cookie_is_secure_when_the_trusted_proxy_says_https(web: WebEnv) -> None:
    app = app_with(web, web_trusted_proxies=1)
    secure = client_of(app, PROXY, HTTP_X_FORWARDED_FOR="198.51.100.40", HTTP_X_FORWARDED_PROTO="https")
    cookies = set_cookies(secure.get("/login"))
    assert cookies and all("Secure" in cookie for cookie in cookies), cookies
    assert all("HttpOnly" in cookie and "SameSite=Lax" in cookie for cookie in cookies), cookies
    login, password = web.agent()  # over HTTPS the CSRF check also wants a same-origin Referer
    secure.environ_base["HTTP_REFERER"] = "https://localhost/login"
    signed_in = secure.login(login, password)
    assert signed_in.status_code == 302, signed_in.get_data(as_text=True)
    assert all("Secure" in cookie for cookie in set_cookies(signed_in))
    plain = client_of(app, PROXY, HTTP_X_FORWARDED_FOR="198.51.100.41", HTTP_X_FORWARDED_PROTO="http")
    assert not any("Secure" in cookie for cookie in set_cookies(plain.get("/login")))


def test_a_forged_forwarded_proto_is_ignored_without_trusted_proxies(web: WebEnv) -> None:
    app = app_with(web, web_trusted_proxies=0)
    client = client_of(app, "192.0.2.11", HTTP_X_FORWARDED_PROTO="https")
    cookies = set_cookies(client.get("/login"))
    assert cookies and not any("Secure" in cookie for cookie in cookies), cookies


def test_secure_cookies_setting_marks_the_cookie_secure_even_on_plain_http(web: WebEnv) -> None:
    app = app_with(web, web_secure_cookies=True)
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    cookies = set_cookies(client_of(app, "192.0.2.12").get("/login"))
    assert cookies and all("Secure" in c and "HttpOnly" in c and "SameSite=Lax" in c for c in cookies)
