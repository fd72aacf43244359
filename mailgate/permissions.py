"""Znuny's effective agent permissions, the one place that computes them.

An agent's permissions in a group are the union of
  * the group_user rows (user_id, group_id, permission_key), and
  * for every valid role (roles.valid_id = 1) the agent holds (role_user), the role's group_role rows
    whose permission_value is 1;
only valid groups (permission_groups.valid_id = 1) count, and ``rw`` implies every other key (ro,
move_into, create, note, owner, priority), as in Znuny. Whether the agent is valid is the caller's
business (agents' lists filter users.valid_id themselves).

Two shapes: ``user_permission_rows(user_id)`` (which groups and keys an agent holds, one statement)
and ``users_with_permission(group_id, key)`` / ``has_permission(user, group, key)`` (who holds a key
in a group; SQL to put into the caller's one statement, so no query per agent).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, CompoundSelect, and_, select, union, union_all
from sqlalchemy.orm import QueryableAttribute, Session

from schema import GroupRole, GroupUser, PermissionGroup, Role, RoleUser

VALID = 1
GRANTED = 1  # group_role.permission_value of a permission the role grants
RW = "rw"
RO = "ro"

IdRef = ColumnElement[int] | QueryableAttribute[int] | int
"""A user or group id: a column of the enclosing query, or a plain id."""
_ALIASES = tuple(
    model.__table__.alias(f"perm_{model.__tablename__}")
    for model in (GroupUser, GroupRole, RoleUser, PermissionGroup, Role)
)
"""has_permission's Core aliases, built once (ORM aliased() per call cost milliseconds); aliases keep the
subqueries apart from the enclosing query's own tables."""


def granting_keys(key: str) -> tuple[str, ...]:
    """The permission keys that grant `key`: the key itself and rw."""
    return (RW,) if key == RW else (key, RW)


def user_permission_rows(user_id: int) -> CompoundSelect:
    """(group_id, group_name, permission_key) the agent holds directly or through valid roles, valid groups.

    Keys are as stored (rw is not expanded); duplicates are removed (UNION).
    """
    direct = (
        select(GroupUser.group_id, PermissionGroup.name.label("group_name"), GroupUser.permission_key)
        .join(PermissionGroup, PermissionGroup.id == GroupUser.group_id)
        .where(GroupUser.user_id == user_id, PermissionGroup.valid_id == VALID)
    )
    through_roles = (
        select(GroupRole.group_id, PermissionGroup.name.label("group_name"), GroupRole.permission_key)
        .join(RoleUser, RoleUser.role_id == GroupRole.role_id)
        .join(Role, Role.id == GroupRole.role_id)
        .join(PermissionGroup, PermissionGroup.id == GroupRole.group_id)
        .where(
            RoleUser.user_id == user_id,
            Role.valid_id == VALID,
            GroupRole.permission_value == GRANTED,
            PermissionGroup.valid_id == VALID,
        )
    )
    return union(direct, through_roles)


def has_permission(user_id: IdRef, group_id: IdRef, key: str = RO) -> ColumnElement[bool]:
    """SQL condition: the agent holds `key` (or rw) in the group, directly or through a valid role.

    `user_id` and `group_id` may be columns of the enclosing query (the EXISTS subqueries correlate
    to them) or plain ids.
    """
    keys = granting_keys(key)
    group_user, group_role, role_user, valid_group, role = _ALIASES
    valid_roles = select(role.c.id).where(role.c.valid_id == VALID)  # uncorrelated: evaluated once
    direct = select(group_user.c.id).where(
        group_user.c.user_id == user_id,
        group_user.c.group_id == group_id,
        group_user.c.permission_key.in_(keys),
    )
    through_roles = (
        select(group_role.c.id)
        .join(role_user, role_user.c.role_id == group_role.c.role_id)
        .where(
            role_user.c.user_id == user_id,
            group_role.c.group_id == group_id,
            group_role.c.permission_key.in_(keys),
            group_role.c.permission_value == GRANTED,
            group_role.c.role_id.in_(valid_roles),
        )
    )
    group_is_valid = select(valid_group.c.id).where(
        valid_group.c.id == group_id, valid_group.c.valid_id == VALID
    )
    # one EXISTS over a correlated UNION ALL: run per outer row through the user_id indexes. Two EXISTS
    # joined by OR let PostgreSQL hash whole tables instead (every group_user rw row, every role grant).
    return and_(group_is_valid.exists(), union_all(direct, through_roles).exists())


def users_with_permission(group_id: IdRef, key: str = RO) -> CompoundSelect:
    """Ids of the agents (valid or not) that hold `key` (or rw) in the group (none if it is invalid).

    For ``User.id.in_(...)``: read through the group_id indexes, so its cost follows the group's
    members, not the tables. `group_id` may be an uncorrelated scalar subquery (e.g. a queue's group).
    """
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


__all__ = [
    "RO",
    "RW",
    "granting_keys",
    "has_permission",
    "user_has_permission",
    "user_permission_rows",
    "users_with_permission",
]
