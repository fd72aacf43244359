"""Admin: Znuny's roles (roles), their ro/rw permission per group (group_role) and their agents (role_user).

An agent's permissions are their group_user rows plus those of their valid roles (mailgate.permissions).
As on the agents page, only the ro and rw keys are managed; other keys Znuny knows (move_into, create,
note, owner, priority) and their rows are left as they are. Rows are changed, not rewritten: a kept
permission or member keeps its create_time and create_by. An admin cannot take the admin group from
themselves through a role (no lock-out).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from schema import GroupRole, PermissionGroup, Role, RoleUser, User
from webui.access import current_agent
from webui.admin import bp
from webui.admin.common import now
from webui.admin.crud import Area, register_area
from webui.admin.forms import Choices, Field, FormErrors, valid_select
from webui.permissions import load_permissions

PERMISSIONS = (("ro", "read only (ro)"), ("rw", "read and write (rw)"))
MANAGED_KEYS = ("ro", "rw")
GRANTED = 1
LOCKOUT = "you cannot take the admin group from yourself"


def agent_choices(session: Session) -> Choices:
    """Agents as "login (First Last)", invalid ones marked."""
    rows = session.execute(
        select(User.id, User.login, User.first_name, User.last_name, User.valid_id).order_by(User.login)
    )
    return [
        (str(ident), f"{login} ({first} {last})" + ("" if valid == 1 else " – invalid"))
        for ident, login, first, last, valid in rows
    ]


def role_choices(session: Session) -> Choices:
    """Roles by name, invalid ones marked (they grant nothing)."""
    rows = session.execute(select(Role.id, Role.name, Role.valid_id).order_by(Role.name))
    return [(str(ident), name + ("" if valid == 1 else " – invalid")) for ident, name, valid in rows]


def role_fields(session: Session, _row: Any) -> list[Field]:
    """The role form: name, comment, validity, a permission per group, the agents holding it."""
    groups = session.scalars(select(PermissionGroup).order_by(PermissionGroup.name))
    permissions = [
        Field(f"perm_{group.id}", f"Group {group.name}", "select", choices=PERMISSIONS) for group in groups
    ]
    return [
        Field("name", "Name", required=True),
        Field("comments", "Comment", maxlength=250),
        valid_select(),
        *permissions,
        Field("agents", "Agents holding this role", "multi", choices=agent_choices(session)),
    ]


def _check(session: Session, row: Role | None, values: dict[str, Any], errors: FormErrors) -> None:
    clash = session.scalar(select(Role.id).where(func.lower(Role.name) == (values["name"] or "").lower()))
    if clash is not None and (row is None or clash != row.id):
        errors["name"] = "another role has this name"


def _save_links(session: Session, row: Role, values: dict[str, Any], errors: FormErrors) -> None:
    """Bring the role's ro/rw group_role rows and its role_user rows to the form's choice."""
    wanted = {
        (int(key.removeprefix("perm_")), value)
        for key, value in values.items()
        if key.startswith("perm_") and value in MANAGED_KEYS
    }
    set_role_permissions(session, row.id, wanted)
    set_role_members(session, row.id, {int(user_id) for user_id in values.get("agents") or []})
    keep_admin(session, errors, "_form")


def set_role_permissions(session: Session, role_id: int, wanted: set[tuple[int, str]]) -> None:
    """Make the role's granted ro/rw rows exactly `wanted` (group_id, key); other keys stay."""
    rows = list(session.scalars(
        select(GroupRole).where(GroupRole.role_id == role_id, GroupRole.permission_key.in_(MANAGED_KEYS))
    ))  # fmt: skip
    have: set[tuple[int, str]] = set()
    for grant in rows:
        pair = (grant.group_id, grant.permission_key)
        if grant.permission_value != GRANTED or pair not in wanted or pair in have:
            session.delete(grant)  # also drops rows that grant nothing (permission_value 0) or repeat
        else:
            have.add(pair)
    for group_id, key in sorted(wanted - have):
        session.add(GroupRole(role_id=role_id, group_id=group_id, permission_key=key,
                              permission_value=GRANTED, **_audit()))  # fmt: skip


def set_role_members(session: Session, role_id: int, wanted: set[int]) -> None:
    """Make the agents holding the role exactly `wanted` (user ids)."""
    have = set(session.scalars(select(RoleUser.user_id).where(RoleUser.role_id == role_id)))
    gone = have - wanted
    if gone:
        session.execute(delete(RoleUser).where(RoleUser.role_id == role_id, RoleUser.user_id.in_(gone)))
    for user_id in sorted(wanted - have):
        session.add(RoleUser(role_id=role_id, user_id=user_id, **_audit()))


def set_user_roles(session: Session, user_id: int, wanted: set[int]) -> None:
    """Make the roles the agent holds exactly `wanted` (role ids)."""
    have = set(session.scalars(select(RoleUser.role_id).where(RoleUser.user_id == user_id)))
    gone = have - wanted
    if gone:
        session.execute(delete(RoleUser).where(RoleUser.user_id == user_id, RoleUser.role_id.in_(gone)))
    for role_id in sorted(wanted - have):
        session.add(RoleUser(role_id=role_id, user_id=user_id, **_audit()))


def keep_admin(session: Session, errors: FormErrors, field: str) -> None:
    """Refuse (an error on `field`) a change after which the signed-in admin is no admin any more."""
    session.flush()
    if not load_permissions(session, current_agent().id).is_admin:
        errors[field] = LOCKOUT


def _audit() -> dict[str, Any]:
    stamp, by = now(), current_agent().id
    return {"create_time": stamp, "change_time": stamp, "create_by": by, "change_by": by}


def _current(session: Session, row: Role) -> dict[str, Any]:
    values: dict[str, Any] = {}
    found = session.execute(
        select(GroupRole.group_id, GroupRole.permission_key).where(
            GroupRole.role_id == row.id,
            GroupRole.permission_key.in_(MANAGED_KEYS),
            GroupRole.permission_value == GRANTED,
        )
    )
    for group_id, key in found:
        if values.get(f"perm_{group_id}") != "rw":  # rw includes ro
            values[f"perm_{group_id}"] = key
    members = session.scalars(select(RoleUser.user_id).where(RoleUser.role_id == row.id))
    values["agents"] = [str(user_id) for user_id in members]
    return values


def _group_summary(session: Session, row: Role) -> str:
    found = session.execute(
        select(PermissionGroup.name, GroupRole.permission_key)
        .join(GroupRole, GroupRole.group_id == PermissionGroup.id)
        .where(GroupRole.role_id == row.id, GroupRole.permission_value == GRANTED)
        .order_by(PermissionGroup.name, GroupRole.permission_key)
    )
    return ", ".join(f"{name} ({key})" for name, key in found)


def _member_summary(session: Session, row: Role) -> str:
    logins = session.scalars(
        select(User.login).join(RoleUser, RoleUser.user_id == User.id).where(RoleUser.role_id == row.id)
        .order_by(User.login)
    )  # fmt: skip
    return ", ".join(logins)


register_area(
    bp,
    Area(
        name="roles",
        title="Roles",
        singular="Role",
        model=Role,
        fields=role_fields,
        columns=(
            ("Name", lambda _s, r: r.name),
            ("Comment", lambda _s, r: r.comments or ""),
            ("Groups", _group_summary),
            ("Agents", _member_summary),
        ),
        order_by=Role.name,
        check=_check,
        after_save=_save_links,
        values=_current,
    ),
)
