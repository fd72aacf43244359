"""Znuny's effective agent permissions, the one place that computes them.

An agent's permissions in a group are the union of
  * the group_user rows (user_id, group_id, permission_key), and
  * for every valid role (roles.valid_id = 1) the agent holds (role_user), the role's group_role rows
    whose permission_value is 1;
only valid groups (permission_groups.valid_id = 1) count, and ``rw`` implies every other key (ro,
move_into, create, note, owner, priority), as in Znuny. Whether the agent is valid is the caller's
business (agents' lists filter users.valid_id themselves).

Two shapes: ``user_permission_rows(user_id)`` (which groups and keys an agent holds, one statement)
and ``has_permission(user, group, key)`` / ``users_with_permission(group_id, key)`` (who holds a key
in a group; SQL expressions to put into the caller's one statement, so no query per agent).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, CompoundSelect, and_, or_, select, union
from sqlalchemy.orm import QueryableAttribute, Session, aliased

from schema import GroupRole, GroupUser, PermissionGroup, Role, RoleUser

VALID = 1
GRANTED = 1  # group_role.permission_value of a permission the role grants
RW = "rw"
RO = "ro"
PERMISSION_KEYS = (RO, "move_into", "create", "note", "owner", "priority", RW)
"""Znuny's agent permission keys (System::Permission plus the additional ones), rw last."""

IdRef = ColumnElement[int] | QueryableAttribute[int] | int
"""A user or group id: a column of the enclosing query, or a plain id."""


def granting_keys(key: str) -> tuple[str, ...]:
    """The permission keys that grant `key`: the key itself and rw."""
    return (RW,) if key == RW else (key, RW)


def user_permission_rows(user_id: int) -> CompoundSelect:
    """(group_id, group_name, permission_key) the agent holds directly or through valid roles, valid groups.

    Keys are as stored (rw is not expanded); duplicates are removed (UNION).
    """
    group = aliased(PermissionGroup)
    direct = (
        select(GroupUser.group_id, group.name.label("group_name"), GroupUser.permission_key)
        .join(group, group.id == GroupUser.group_id)
        .where(GroupUser.user_id == user_id, group.valid_id == VALID)
    )
    role_group = aliased(PermissionGroup)
    through_roles = (
        select(GroupRole.group_id, role_group.name.label("group_name"), GroupRole.permission_key)
        .join(RoleUser, RoleUser.role_id == GroupRole.role_id)
        .join(Role, Role.id == GroupRole.role_id)
        .join(role_group, role_group.id == GroupRole.group_id)
        .where(
            RoleUser.user_id == user_id,
            Role.valid_id == VALID,
            GroupRole.permission_value == GRANTED,
            role_group.valid_id == VALID,
        )
    )
    return union(direct, through_roles)


def has_permission(user_id: IdRef, group_id: IdRef, key: str = RO) -> ColumnElement[bool]:
    """SQL condition: the agent holds `key` (or rw) in the group, directly or through a valid role.

    `user_id` and `group_id` may be columns of the enclosing query (the EXISTS subqueries correlate
    to them) or plain ids.
    """
    keys = granting_keys(key)
    user, grp = user_id, group_id
    group_user, group_role, role_user, role = (
        aliased(GroupUser), aliased(GroupRole), aliased(RoleUser), aliased(Role),
    )  # fmt: skip
    valid_group = aliased(PermissionGroup)
    direct = select(group_user.id).where(
        group_user.user_id == user, group_user.group_id == grp, group_user.permission_key.in_(keys)
    )
    through_roles = (
        select(group_role.id)
        .join(role_user, role_user.role_id == group_role.role_id)
        .join(role, role.id == group_role.role_id)
        .where(
            role_user.user_id == user,
            group_role.group_id == grp,
            group_role.permission_key.in_(keys),
            group_role.permission_value == GRANTED,
            role.valid_id == VALID,
        )
    )
    group_is_valid = select(valid_group.id).where(valid_group.id == grp, valid_group.valid_id == VALID)
    return and_(group_is_valid.exists(), or_(direct.exists(), through_roles.exists()))


def users_with_permission(group_id: int, key: str = RO) -> CompoundSelect:
    """Ids of the agents (valid or not) that hold `key` (or rw) in the group (none if it is invalid)."""
    keys = granting_keys(key)
    direct = (
        select(GroupUser.user_id)
        .join(PermissionGroup, PermissionGroup.id == GroupUser.group_id)
        .where(
            GroupUser.group_id == group_id,
            GroupUser.permission_key.in_(keys),
            PermissionGroup.valid_id == VALID,
        )
    )
    through_roles = (
        select(RoleUser.user_id)
        .join(GroupRole, GroupRole.role_id == RoleUser.role_id)
        .join(Role, Role.id == RoleUser.role_id)
        .join(PermissionGroup, PermissionGroup.id == GroupRole.group_id)
        .where(
            GroupRole.group_id == group_id,
            GroupRole.permission_key.in_(keys),
            GroupRole.permission_value == GRANTED,
            Role.valid_id == VALID,
            PermissionGroup.valid_id == VALID,
        )
    )
    return union(direct, through_roles)


def user_has_permission(session: Session, user_id: int, group_id: int, key: str = RO) -> bool:
    """Whether the agent holds `key` (or rw) in the group (one statement)."""
    return bool(session.scalar(select(has_permission(user_id, group_id, key))))


def user_permissions(session: Session, user_id: int) -> dict[int, frozenset[str]]:
    """The agent's permission keys per valid group id, as stored (rw not expanded)."""
    found: dict[int, set[str]] = {}
    for group_id, _name, key in session.execute(user_permission_rows(user_id)):
        found.setdefault(group_id, set()).add(key)
    return {group_id: frozenset(keys) for group_id, keys in found.items()}


__all__ = [
    "PERMISSION_KEYS",
    "RO",
    "RW",
    "granting_keys",
    "has_permission",
    "user_has_permission",
    "user_permission_rows",
    "user_permissions",
    "users_with_permission",
]
