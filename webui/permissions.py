"""An agent's permissions in the web UI (from mailgate.permissions: group_user and valid roles)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailgate.permissions import user_permission_rows
from schema import Queue

VALID = 1
FULL = "rw"  # Znuny: rw includes every other permission
READ = "ro"
OWNER = "owner"  # Znuny: may be made a ticket's owner (rw includes it)
ADMIN_GROUP = "admin"


@dataclass(frozen=True, slots=True)
class Permissions:
    """An agent's permission keys per group id, and whether they are an admin (rw in group 'admin')."""

    by_group: Mapping[int, frozenset[str]] = field(default_factory=dict)
    is_admin: bool = False

    def has(self, group_id: int, key: str = READ) -> bool:
        """Whether the agent holds `key` (or rw) in the group."""
        keys = self.by_group.get(group_id, frozenset())
        return FULL in keys or key in keys

    def groups_with(self, key: str = READ) -> list[int]:
        """Ids of the groups in which the agent holds `key` (or rw)."""
        return sorted(group for group in self.by_group if self.has(group, key))


def load_permissions(session: Session, user_id: int) -> Permissions:
    """The agent's permissions (group_user and valid roles), counting only valid groups; one statement."""
    by_group: dict[int, set[str]] = {}
    is_admin = False
    for group_id, name, key in session.execute(user_permission_rows(user_id)):
        by_group.setdefault(group_id, set()).add(key)
        is_admin = is_admin or (name == ADMIN_GROUP and key == FULL)
    return Permissions({group: frozenset(keys) for group, keys in by_group.items()}, is_admin)


def visible_queues(session: Session, permissions: Permissions, key: str = READ) -> list[Queue]:
    """The queues (valid or not, so no ticket becomes unreachable) whose group grants `key`, by name."""
    groups = permissions.groups_with(key)
    if not groups:
        return []
    return list(session.scalars(select(Queue).where(Queue.group_id.in_(groups)).order_by(Queue.name)))


def queue_ids(session: Session, permissions: Permissions, key: str = READ) -> list[int]:
    """Ids of the queues whose group grants `key`."""
    groups = permissions.groups_with(key)
    if not groups:
        return []
    return list(session.scalars(select(Queue.id).where(Queue.group_id.in_(groups)).order_by(Queue.id)))
