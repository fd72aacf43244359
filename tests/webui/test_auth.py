"""Sign-in against Znuny's users table: argon2, sessions, CSRF, lock-out per login and per address."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from schema import User
from schema.webui import LoginFailure
from tests.webui.support import Client, WebEnv
from webui.auth.lockout import LockoutPolicy

pytestmark = pytest.mark.integration


def test_anonymous_visitors_are_sent_to_sign_in(client: Client) -> None:
    for path in ("/", "/tickets", "/tickets/1", "/admin/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/login?next="), path


def test_sign_in_with_the_right_password_opens_the_overview(web: WebEnv, client: Client) -> None:
    login, password = web.agent({"users": "rw"})
    response = client.login(login, password, next="/tickets")
    assert response.status_code == 302 and response.headers["Location"] == "/tickets"
    page = client.get("/")
    assert page.status_code == 200 and "Queues" in page.get_data(as_text=True)


def test_sign_in_is_case_insensitive_on_the_login(web: WebEnv, client: Client) -> None:
    login, password = web.agent({"users": "rw"})
    assert client.login(login.upper(), password).status_code == 302


def test_a_weak_stored_hash_is_upgraded_to_default_argon2_parameters(web: WebEnv, client: Client) -> None:
    login, password = web.agent()
    client.login(login, password)
    with web.services.sessions() as session:
        stored = session.scalars(select(User.pw).where(User.login == login)).one()
    assert stored.startswith("$argon2id$") and "m=65536" in stored


def test_wrong_password_unknown_login_and_invalid_user_are_refused_alike(web: WebEnv, client: Client) -> None:
    login, password = web.agent()
    invalid, invalid_pw = web.agent()
    with web.services.sessions.begin() as session:
        session.execute(update(User).where(User.login == invalid).values(valid_id=2))
    for name, pw in ((login, "wrong"), ("nobody-here", password), (invalid, invalid_pw), (login, "")):
        response = client.login(name, pw)
        assert response.status_code == 401
        assert "Wrong login or password." in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_znuny_sha2_hashes_are_accepted(web: WebEnv, client: Client) -> None:
    login, _ = web.agent()
    with web.services.sessions.begin() as session:
        digest = hashlib.sha256(b"from znuny").hexdigest()
        session.execute(update(User).where(User.login == login).values(pw=digest))
    assert client.login(login, "from znuny").status_code == 302
    with web.services.sessions() as session:  # left as Znuny wrote it, so Znuny still accepts it
        assert session.scalars(select(User.pw).where(User.login == login)).one() == digest


def test_the_seeded_crypt_password_never_matches(client: Client) -> None:
    assert client.login("root@localhost", "root").status_code == 401


def test_sign_in_without_csrf_token_is_rejected(web: WebEnv, client: Client) -> None:
    login, password = web.agent()
    response = client.post("/login", data={"login": login, "password": password})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_sign_out_needs_post_with_csrf_token(web: WebEnv, client: Client) -> None:
    login, password = web.agent()
    client.login(login, password)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200
    assert client.post("/logout", data={"csrf_token": client.csrf("/")}).status_code == 302
    assert client.get("/").status_code == 302


def test_open_redirects_after_sign_in_are_refused(web: WebEnv, client: Client) -> None:
    login, password = web.agent()
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        response = client.login(login, password, next=target)
        assert response.headers["Location"] == "/", target


def test_a_password_change_ends_existing_sessions(web: WebEnv, client: Client) -> None:
    login, password = web.agent()
    client.login(login, password)
    assert client.get("/").status_code == 200
    with web.services.sessions.begin() as session:
        session.execute(update(User).where(User.login == login).values(pw="$argon2id$changed"))
    assert client.get("/").status_code == 302


def test_five_failures_lock_the_login_even_with_the_right_password(web: WebEnv, client: Client) -> None:
    login, password = web.agent()
    for _ in range(5):
        assert client.login(login, "wrong").status_code == 401
    locked = client.login(login, password)
    assert locked.status_code == 429 and "Too many failed sign-ins" in locked.get_data(as_text=True)
    # the lock is on the login, from any address: it is kept in the database, not in this process
    other = web.app.test_client()
    other.environ_base["REMOTE_ADDR"] = "192.0.2.77"
    assert isinstance(other, Client)
    assert other.login(login, password).status_code == 429


def test_the_lock_lifts_after_the_window(web: WebEnv, client: Client) -> None:
    login, password = web.agent()
    for _ in range(5):
        client.login(login, "wrong")
    assert client.login(login, password).status_code == 429
    with web.services.sessions.begin() as session:  # let 15 minutes pass for these failures
        session.execute(
            update(LoginFailure)
            .where(LoginFailure.key == login.lower())
            .values(failed_at=LoginFailure.failed_at - timedelta(minutes=16))
        )
    assert client.login(login, password).status_code == 302


def test_failures_below_the_limit_are_forgotten_after_a_sign_in(web: WebEnv, client: Client) -> None:
    login, password = web.agent()
    for _ in range(4):
        client.login(login, "wrong")
    assert client.login(login, password).status_code == 302
    client.post("/logout", data={"csrf_token": client.csrf("/")})
    for _ in range(4):
        client.login(login, "wrong")
    assert client.login(login, password).status_code == 302


def test_many_failures_from_one_address_lock_that_address(web: WebEnv, client: Client) -> None:
    limit = LockoutPolicy().address_limit
    logins = [web.agent()[0] for _ in range(limit // 4 + 1)]
    failures = 0
    for name in logins:
        for _ in range(4):  # never 5 on one login: only the address count reaches its limit
            if failures < limit:
                client.login(name, "wrong")
                failures += 1
    login, password = web.agent()
    assert client.login(login, password).status_code == 429
    fresh = web.app.test_client()
    fresh.environ_base["REMOTE_ADDR"] = "198.51.100.9"
    assert isinstance(fresh, Client)
    assert fresh.login(login, password).status_code == 302


def test_root_signs_in_with_the_password_mailgate_init_printed(db_url: str) -> None:
    from mailgate.initdb import init_database
    from mailgate.services import build_services
    from mailgate.settings import Settings
    from webui.app import create_app

    result = init_database(db_url)
    assert result.admin_password
    settings = Settings(database_url=db_url)  # no secret configured: the installation secret is used
    services = build_services(settings)
    try:
        app = create_app(settings, services=services)
        app.test_client_class = Client
        client = app.test_client()
        assert isinstance(client, Client)
        assert client.login("root@localhost", result.admin_password).status_code == 302
        assert client.get("/admin/").status_code == 200
    finally:
        services.close()
