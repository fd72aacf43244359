"""Admin: agents (Znuny's users) with address, password, group permissions, roles and My Queues.

The address is user_preferences UserEmail, the password an argon2 hash in users.pw, permissions are
group_user rows (ro/rw), roles role_user rows and "My Queues" personal_queues rows. The list and the
edit page show the effective permissions (group_user and valid roles, from mailgate.permissions).

Other permission keys Znuny knows (move_into, create, note, owner, priority) are left as they are.
An admin cannot take the admin group from themselves (directly or through roles) or make themselves
invalid (no lock-out).
"""

from __future__ import annotations

from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from mailgate.permissions import user_permission_rows
from schema import GroupUser, PermissionGroup, PersonalQueue, Role, RoleUser, User, UserPreference
from schema.agents import USER_EMAIL_KEY
from webui.access import current_agent
from webui.admin import bp
from webui.admin.common import now, queue_choices
from webui.admin.crud import Area, register_area
from webui.admin.forms import Field, FormErrors, valid_select
from webui.admin.roles import keep_admin, role_choices, set_user_roles

PERMISSIONS = (("ro", "read only (ro)"), ("rw", "read and write (rw)"))
MANAGED_KEYS = ("ro", "rw")
ADMIN_GROUP = "admin"
MIN_PASSWORD = 8


def _groups(session: Session) -> list[PermissionGroup]:
    return list(session.scalars(select(PermissionGroup).order_by(PermissionGroup.name)))


def agent_fields(session: Session, _row: Any) -> list[Field]:
    """The agent form: identity, address, password, validity, a permission per group, My Queues."""
    fields = [
        Field("login", "Login", required=True),
        Field("title", "Title", maxlength=50),
        Field("first_name", "First name", required=True, maxlength=100),
        Field("last_name", "Last name", required=True, maxlength=100),
        Field("email", "Mail address", "email", required=True, maxlength=150),
        Field(
            "pw",
            "Password",
            "password",
            help=f"at least {MIN_PASSWORD} characters; empty keeps the current one",
        ),
        valid_select(),
    ]
    fields += [
        Field(f"perm_{group.id}", f"Group {group.name}", "select", choices=PERMISSIONS)
        for group in _groups(session)
    ]
    fields.append(Field("roles", "Roles", "multi", choices=role_choices(session)))
    fields.append(
        Field("my_queues", "My Queues (notified about new tickets)", "multi", choices=queue_choices(session))
    )
    return fields


def _check(session: Session, row: User | None, values: dict[str, Any], errors: FormErrors) -> None:
    clash = session.scalar(select(User.id).where(func.lower(User.login) == (values["login"] or "").lower()))
    if clash is not None and (row is None or clash != row.id):
        errors["login"] = "another agent has this login"
    password = values.pop("pw", "") or ""
    if password and len(password) < MIN_PASSWORD:
        errors["pw"] = f"at least {MIN_PASSWORD} characters"
    elif password:
        values["pw"] = PasswordHasher().hash(password)
    elif row is None:
        errors["pw"] = "required for a new agent"
    if row is not None and row.id == current_agent().id:
        _check_self(session, values, errors)


def _check_self(session: Session, values: dict[str, Any], errors: FormErrors) -> None:
    """The signed-in admin keeps the admin group and stays valid."""
    if values.get("valid_id") != 1:
        errors["valid_id"] = "you cannot make yourself invalid"


def _keep_own_admin(session: Session, row: User, errors: FormErrors) -> None:
    """After the save (not yet committed): the signed-in admin still holds rw in 'admin' (group or role)."""
    if row.id != current_agent().id:
        return
    admin = session.scalar(select(PermissionGroup.id).where(PermissionGroup.name == ADMIN_GROUP))
    keep_admin(session, errors, f"perm_{admin}" if admin is not None else "_form")


def _save_links(session: Session, row: User, values: dict[str, Any], errors: FormErrors) -> None:
    """Write UserEmail, the ro/rw permissions per group, the roles and My Queues of the saved agent."""
    _save_email(session, row.id, values["email"])
    stamp, by = now(), current_agent().id
    session.execute(
        delete(GroupUser).where(GroupUser.user_id == row.id, GroupUser.permission_key.in_(MANAGED_KEYS))
    )
    for key, value in values.items():
        if key.startswith("perm_") and value in MANAGED_KEYS:
            group_id = int(key.removeprefix("perm_"))
            session.add(GroupUser(user_id=row.id, group_id=group_id, permission_key=value, create_time=stamp,
                                  change_time=stamp, create_by=by, change_by=by))  # fmt: skip
    session.execute(delete(PersonalQueue).where(PersonalQueue.user_id == row.id))
    for queue_id in values.get("my_queues") or []:
        session.add(PersonalQueue(user_id=row.id, queue_id=int(queue_id)))
    set_user_roles(session, row.id, {int(role_id) for role_id in values.get("roles") or []})
    _keep_own_admin(session, row, errors)


def _save_email(session: Session, user_id: int, email: str) -> None:
    query = select(UserPreference).where(
        UserPreference.user_id == user_id, UserPreference.preferences_key == USER_EMAIL_KEY
    )
    rows = list(session.scalars(query))
    if not rows:
        session.add(UserPreference(user_id=user_id, preferences_key=USER_EMAIL_KEY, preferences_value=email))
        return
    rows[0].preferences_value = email
    for extra in rows[1:]:
        session.delete(extra)


def _current(session: Session, row: User) -> dict[str, Any]:
    values: dict[str, Any] = {"email": _email(session, row)}
    found = session.execute(
        select(GroupUser.group_id, GroupUser.permission_key).where(
            GroupUser.user_id == row.id, GroupUser.permission_key.in_(MANAGED_KEYS)
        )
    )
    for group_id, key in found:
        if values.get(f"perm_{group_id}") != "rw":  # rw includes ro
            values[f"perm_{group_id}"] = key
    queues = session.scalars(select(PersonalQueue.queue_id).where(PersonalQueue.user_id == row.id))
    values["my_queues"] = [str(queue_id) for queue_id in queues]
    roles = session.scalars(select(RoleUser.role_id).where(RoleUser.user_id == row.id))
    values["roles"] = [str(role_id) for role_id in roles]
    return values


def _email(session: Session, row: User) -> str:
    query = select(UserPreference.preferences_value).where(
        UserPreference.user_id == row.id, UserPreference.preferences_key == USER_EMAIL_KEY
    )
    return session.scalars(query).first() or ""


def effective_permissions(session: Session, user_id: int) -> list[tuple[str, list[str]]]:
    """(group name, keys) the agent holds in valid groups, directly or through valid roles, by name."""
    found: dict[str, set[str]] = {}
    for _group_id, name, key in session.execute(user_permission_rows(user_id)):
        found.setdefault(name, set()).add(key)
    return [(name, sorted(keys)) for name, keys in sorted(found.items())]


def _group_summary(session: Session, row: User) -> str:
    return ", ".join(f"{name} ({'/'.join(keys)})" for name, keys in effective_permissions(session, row.id))


def _role_summary(session: Session, row: User) -> str:
    names = session.scalars(
        select(Role.name).join(RoleUser, RoleUser.role_id == Role.id).where(RoleUser.user_id == row.id)
        .order_by(Role.name)
    )  # fmt: skip
    return ", ".join(names)


def _extra(session: Session, row: User | None) -> dict[str, Any]:
    return {"effective": effective_permissions(session, row.id) if row is not None else []}


register_area(
    bp,
    Area(
        name="agents",
        title="Agents",
        singular="Agent",
        model=User,
        fields=agent_fields,
        columns=(
            ("Login", lambda _s, r: r.login),
            ("Name", lambda _s, r: f"{r.first_name} {r.last_name}"),
            ("Mail address", _email),
            ("Permissions (with roles)", _group_summary),
            ("Roles", _role_summary),
        ),
        order_by=User.login,
        check=_check,
        after_save=_save_links,
        values=_current,
        extra=_extra,
        extra_template="admin/_agent_permissions.html",
    ),
)
