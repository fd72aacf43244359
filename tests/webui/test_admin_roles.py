"""Admin roles: create with ro/rw per group and agents, edit (kept rows keep their audit columns),
invalidate; the role's agents then see what it allows; roles on the agent page; no lock-out through roles."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from schema import GroupRole, Role, RoleUser
from tests.support.roles import grant_through_role
from tests.webui.admin_support import post_form, sign_in_admin
from tests.webui.support import Client, WebEnv, mail

pytestmark = pytest.mark.integration


def role_form(name: str, **extra: object) -> dict[str, object]:
    return {"name": name, "comments": "second level", "valid_id": "1", **extra}


def role_by_name(web: WebEnv, name: str) -> Role:
    with web.services.sessions() as session:
        return session.scalars(select(Role).where(Role.name == name)).one()


def grants(web: WebEnv, role_id: int) -> set[tuple[int, str, int]]:
    with web.services.sessions() as session:
        rows = session.execute(
            select(GroupRole.group_id, GroupRole.permission_key, GroupRole.permission_value).where(
                GroupRole.role_id == role_id
            )
        )
        return {(group, key, value) for group, key, value in rows}


def members(web: WebEnv, role_id: int) -> set[int]:
    with web.services.sessions() as session:
        return set(session.scalars(select(RoleUser.user_id).where(RoleUser.role_id == role_id)))


def test_an_admin_creates_a_role_whose_agents_then_see_its_queues(web: WebEnv, client: Client) -> None:
    admin = sign_in_admin(web, client)
    tag = uuid.uuid4().hex[:6]
    group, other = web.group(f"second-{tag}"), web.group(f"other-{tag}")
    queue_id = web.queue(f"second-{tag}")
    ticket_id = web.deliver(mail(subject=f"Second level {tag}"), queue_id=queue_id)
    login, password = web.agent()  # no group_user row at all
    agent_id = web.user_id(login)
    data = role_form(
        f"Second level {tag}", **{f"perm_{group}": "rw", f"perm_{other}": "ro"}, agents=str(agent_id)
    )
    assert post_form(client, "/admin/roles/new", data).status_code == 302
    role = role_by_name(web, f"Second level {tag}")
    assert role.create_by == web.user_id(admin) and role.valid_id == 1 and role.comments == "second level"
    assert grants(web, role.id) == {(group, "rw", 1), (other, "ro", 1)} and members(web, role.id) == {
        agent_id
    }
    listing = client.get("/admin/roles/").get_data(as_text=True)
    assert f"Second level {tag}" in listing and login in listing and f"second-{tag} (rw)" in listing
    agent = web.app.test_client()
    agent.environ_base["REMOTE_ADDR"] = "10.98.0.3"
    assert Client.login(agent, login, password).status_code == 302  # type: ignore[arg-type]
    assert agent.get(f"/tickets/{ticket_id}").status_code == 200
    page = client.get(f"/admin/agents/{agent_id}").get_data(as_text=True)
    assert "Effective permissions" in page and f"second-{tag}" in page
    assert post_form(client, "/admin/roles/new", role_form(f"second LEVEL {tag}")).status_code == 400
    invalid = role_form(f"Second level {tag}", valid_id="2", **{f"perm_{group}": "rw"}, agents=str(agent_id))
    assert post_form(client, f"/admin/roles/{role.id}", invalid).status_code == 302
    assert agent.get(f"/tickets/{ticket_id}").status_code == 404  # an invalid role grants nothing


def test_edit_changes_only_what_changed_and_leaves_other_keys(web: WebEnv, client: Client) -> None:
    sign_in_admin(web, client)
    tag = uuid.uuid4().hex[:6]
    group, other = web.group(f"edit-{tag}"), web.group(f"edit-other-{tag}")
    stay, leave = (web.user_id(web.agent()[0]) for _ in range(2))
    data = role_form(
        f"Edit {tag}", **{f"perm_{group}": "rw", f"perm_{other}": "ro"}, agents=[str(stay), str(leave)]
    )
    assert post_form(client, "/admin/roles/new", data).status_code == 302
    role = role_by_name(web, f"Edit {tag}")
    with web.services.sessions.begin() as session:  # a Znuny key the form does not manage stays
        session.add(GroupRole(role_id=role.id, group_id=group, permission_key="note", permission_value=1,
                              create_time=role.create_time, change_time=role.create_time, create_by=1,
                              change_by=1))  # fmt: skip
        kept_before = session.scalars(
            select(RoleUser.id).where(RoleUser.role_id == role.id, RoleUser.user_id == stay)
        ).one()
    edited = role_form(f"Edit {tag}", **{f"perm_{group}": "rw", f"perm_{other}": "rw"}, agents=str(stay))
    assert post_form(client, f"/admin/roles/{role.id}", edited).status_code == 302
    assert grants(web, role.id) == {(group, "rw", 1), (group, "note", 1), (other, "rw", 1)}
    assert members(web, role.id) == {stay}
    with web.services.sessions() as session:
        kept_after = session.scalars(select(RoleUser.id).where(RoleUser.role_id == role.id)).one()
    assert kept_after == kept_before  # the kept member's row was not rewritten
    form = client.get(f"/admin/roles/{role.id}").get_data(as_text=True)
    assert f'name="perm_{other}"' in form and "Agents holding this role" in form


def test_roles_are_assigned_on_the_agent_page(web: WebEnv, client: Client) -> None:
    sign_in_admin(web, client)
    tag = uuid.uuid4().hex[:6]
    group = web.group(f"agentpage-{tag}")
    assert (
        post_form(client, "/admin/roles/new", role_form(f"Page {tag}", **{f"perm_{group}": "ro"})).status_code
        == 302
    )
    role = role_by_name(web, f"Page {tag}")
    login = web.agent()[0]
    agent_id = web.user_id(login)
    data = {"login": login, "first_name": "Test", "last_name": login, "email": f"{login}@example.org",
            "valid_id": "1", "roles": str(role.id)}  # fmt: skip
    assert post_form(client, f"/admin/agents/{agent_id}", data).status_code == 302
    assert members(web, role.id) == {agent_id}
    listing = client.get("/admin/agents/").get_data(as_text=True)
    assert f"Page {tag}" in listing and f"agentpage-{tag} (ro)" in listing
    assert post_form(client, f"/admin/agents/{agent_id}", {**data, "roles": []}).status_code == 302
    assert members(web, role.id) == set()


def test_an_admin_through_a_role_cannot_lock_themselves_out(web: WebEnv, client: Client) -> None:
    login, password = web.agent({"users": "rw"})
    me, admin_group = web.user_id(login), web.group("admin")
    with web.services.sessions.begin() as session:
        role_id = grant_through_role(session, me, admin_group, "rw")
    assert client.login(login, password).status_code == 302
    with web.services.sessions() as session:
        name = session.get_one(Role, role_id).name
    keep = role_form(name, **{f"perm_{admin_group}": "rw"}, agents=str(me))
    for change in ({f"perm_{admin_group}": "ro"}, {"valid_id": "2"}, {"agents": []}):
        response = post_form(client, f"/admin/roles/{role_id}", {**keep, **change})
        assert response.status_code == 400 and "admin group from yourself" in response.get_data(as_text=True)
    assert grants(web, role_id) == {(admin_group, "rw", 1)} and members(web, role_id) == {me}
    # the agent page no longer insists on a direct admin row when a role keeps the admin group
    mine = {"login": login, "first_name": "Test", "last_name": login, "email": f"{login}@example.org",
            "valid_id": "1", "roles": str(role_id)}  # fmt: skip
    assert post_form(client, f"/admin/agents/{me}", mine).status_code == 302
    response = post_form(client, f"/admin/agents/{me}", {**mine, "roles": []})
    assert response.status_code == 400 and "admin group from yourself" in response.get_data(as_text=True)
    assert post_form(client, f"/admin/roles/{role_id}", keep).status_code == 302
    assert client.get("/admin/roles/").status_code == 200
