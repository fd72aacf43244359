"""Test helper: give an agent a permission through a Znuny role (roles, group_role, role_user) only."""

from __future__ import annotations

import uuid

from sqlalchemy import func, insert
from sqlalchemy.orm import Session

from schema import GroupRole, Role, RoleUser


def _audit() -> dict[str, object]:
    return {"create_time": func.now(), "create_by": 1, "change_time": func.now(), "change_by": 1}


def grant_through_role(
    session: Session, user_id: int, group_id: int, key: str, *, role_valid: int = 1, value: int = 1
) -> int:
    """A new role (valid_id `role_valid`) with `key` on the group (permission_value `value`), held by the
    agent; returns the role id. No group_user row is written."""
    role_id = session.execute(
        insert(Role)
        .values(name=f"role-{uuid.uuid4().hex[:10]}", comments="test", valid_id=role_valid, **_audit())
        .returning(Role.id)
    ).scalar_one()
    session.execute(
        insert(GroupRole).values(
            role_id=role_id, group_id=group_id, permission_key=key, permission_value=value, **_audit()
        )
    )
    session.execute(insert(RoleUser).values(user_id=user_id, role_id=role_id, **_audit()))
    return role_id
