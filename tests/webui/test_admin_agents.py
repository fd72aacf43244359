"""Admin agents: create with an argon2 password and UserEmail, groups (ro/rw) and My Queues, edit,
invalidate; the new agent can sign in and sees what the groups allow; an admin cannot lock themselves out."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from schema import GroupUser, PersonalQueue, User, UserPreference
from tests.webui.admin_support import post_form, sign_in_admin
from tests.webui.support import Client, WebEnv

pytestmark = pytest.mark.integration


def agent_form(login: str, **extra: str) -> dict[str, str]:
    return {
        "login": login,
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": f"{login}@example.org",
        "valid_id": "1",
        **extra,
    }


def user_by_login(web: WebEnv, login: str) -> User:
    with web.services.sessions() as session:
        return session.scalars(select(User).where(User.login == login)).one()


def test_an_admin_creates_an_agent_who_can_then_sign_in(web: WebEnv, client: Client) -> None:
    admin = sign_in_admin(web, client)
    sales, support = web.group(f"sales-{uuid.uuid4().hex[:6]}"), web.group("users")
    queue_id = web.queue("users")
    login = f"ada-{uuid.uuid4().hex[:6]}"
    data = agent_form(
        login, pw="lovelace-1843", **{f"perm_{sales}": "ro", f"perm_{support}": "rw"}, my_queues=str(queue_id)
    )
    assert post_form(client, "/admin/agents/new", data).status_code == 302
    user = user_by_login(web, login)
    assert user.pw.startswith("$argon2") and user.create_by == web.user_id(admin) and user.valid_id == 1
    with web.services.sessions() as session:
        email = session.scalars(
            select(UserPreference.preferences_value).where(
                UserPreference.user_id == user.id, UserPreference.preferences_key == "UserEmail"
            )
        ).one()
        found = session.execute(
            select(GroupUser.group_id, GroupUser.permission_key).where(GroupUser.user_id == user.id)
        ).all()
        perms = {(row[0], row[1]) for row in found}
        queues = list(session.scalars(select(PersonalQueue.queue_id).where(PersonalQueue.user_id == user.id)))
    assert (
        email == f"{login}@example.org" and perms == {(sales, "ro"), (support, "rw")} and queues == [queue_id]
    )
    page = client.get(f"/admin/agents/{user.id}").get_data(as_text=True)
    assert "lovelace-1843" not in page and user.pw not in page and f"{login}@example.org" in page
    other = web.app.test_client()
    other.environ_base["REMOTE_ADDR"] = "10.99.0.7"
    assert Client.login(other, login, "lovelace-1843").status_code == 302  # type: ignore[arg-type]
    assert other.get("/admin/").status_code == 403  # not in the admin group


def test_edit_changes_groups_and_keeps_or_replaces_the_password(web: WebEnv, client: Client) -> None:
    sign_in_admin(web, client)
    support = web.group("users")
    login = f"bob-{uuid.uuid4().hex[:6]}"
    assert (
        post_form(
            client, "/admin/agents/new", agent_form(login, pw="first-password", **{f"perm_{support}": "rw"})
        ).status_code
        == 302
    )
    user = user_by_login(web, login)
    with web.services.sessions.begin() as session:  # a Znuny key the form does not manage stays
        session.add(
            GroupUser(
                user_id=user.id,
                group_id=support,
                permission_key="note",
                create_time=user.create_time,
                change_time=user.create_time,
                create_by=1,
                change_by=1,
            )
        )
    edited = agent_form(login, first_name="Robert", email="robert@example.org", valid_id="2")
    assert post_form(client, f"/admin/agents/{user.id}", edited).status_code == 302
    changed = user_by_login(web, login)
    assert changed.pw == user.pw and changed.first_name == "Robert" and changed.valid_id == 2
    with web.services.sessions() as session:
        keys = set(session.scalars(select(GroupUser.permission_key).where(GroupUser.user_id == user.id)))
        assert keys == {"note"}
    assert post_form(client, f"/admin/agents/{user.id}", {**edited, "pw": "short"}).status_code == 400
    assert (
        post_form(client, f"/admin/agents/{user.id}", {**edited, "pw": "second-password"}).status_code == 302
    )
    assert user_by_login(web, login).pw != user.pw
    assert (
        post_form(client, "/admin/agents/new", agent_form(login.upper(), pw="whatever-long")).status_code
        == 400
    )
    assert post_form(client, "/admin/agents/new", agent_form(f"x{login}")).status_code == 400  # no password


def test_an_admin_cannot_lock_themselves_out(web: WebEnv, client: Client) -> None:
    login = sign_in_admin(web, client)
    me = user_by_login(web, login)
    admin_group = web.group("admin")
    keep = agent_form(login, **{f"perm_{admin_group}": "rw"})
    response = post_form(client, f"/admin/agents/{me.id}", {**keep, "valid_id": "2"})
    assert response.status_code == 400 and "cannot make yourself invalid" in response.get_data(as_text=True)
    response = post_form(client, f"/admin/agents/{me.id}", {**keep, f"perm_{admin_group}": "ro"})
    assert response.status_code == 400 and "admin group from yourself" in response.get_data(as_text=True)
    assert post_form(client, f"/admin/agents/{me.id}", keep).status_code == 302
    assert client.get("/admin/agents/").status_code == 200
