"""Who hears about a queue's new tickets and follow-ups: agents who put it in "My Queues".

As in Znuny, a subscription (personal_queues) counts only for a valid agent who holds the
``rw`` permission on the queue's group (group_user); the address is the agent's ``UserEmail``
preference (user_preferences), or the login when that is an address and no preference is set.
Role-based permissions (Znuny's role_user / group_role) are not read.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailgate.tickets.lookups import VALID
from schema import GroupUser, PersonalQueue, Queue, User, UserPreference
from schema.agents import USER_EMAIL_KEY, USER_LANGUAGE_KEY

WRITE_PERMISSION = "rw"


@dataclass(frozen=True, slots=True)
class Subscriber:
    """An agent subscribed to a queue, with the address and language notifications use."""

    user_id: int
    email: str
    language: str | None = None


def _preferences(session: Session, user_ids: list[int]) -> dict[tuple[int, str], str]:
    rows = session.execute(
        select(
            UserPreference.user_id, UserPreference.preferences_key, UserPreference.preferences_value
        ).where(
            UserPreference.user_id.in_(user_ids),
            UserPreference.preferences_key.in_((USER_EMAIL_KEY, USER_LANGUAGE_KEY)),
        )
    )
    return {(row.user_id, row.preferences_key): (row.preferences_value or "").strip() for row in rows}


def queue_subscribers(session: Session, queue_id: int) -> list[Subscriber]:
    """Valid agents with "My Queues" on this queue and rw on its group, that have a mail address."""
    agents = session.execute(
        select(User.id, User.login)
        .join(PersonalQueue, PersonalQueue.user_id == User.id)
        .join(Queue, Queue.id == PersonalQueue.queue_id)
        .join(GroupUser, (GroupUser.user_id == User.id) & (GroupUser.group_id == Queue.group_id))
        .where(
            PersonalQueue.queue_id == queue_id,
            User.valid_id == VALID,
            GroupUser.permission_key == WRITE_PERMISSION,
        )
        .distinct()
        .order_by(User.id)
    ).all()
    if not agents:
        return []
    preferences = _preferences(session, [agent.id for agent in agents])
    found = []
    for agent in agents:
        email = preferences.get((agent.id, USER_EMAIL_KEY)) or (agent.login if "@" in agent.login else "")
        if email:
            found.append(Subscriber(agent.id, email, preferences.get((agent.id, USER_LANGUAGE_KEY)) or None))
    return found
