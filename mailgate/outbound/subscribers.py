"""Who hears about a queue's new tickets and follow-ups: agents who put it in "My Queues".

As in Znuny, a subscription (personal_queues) counts only for a valid agent who holds the
``rw`` permission on the queue's group (group_user or a valid role, see mailgate.permissions); the
address is the agent's ``UserEmail`` preference (user_preferences), or the login when that is an
address and no preference is set.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, aliased

from mailgate.permissions import users_with_permission
from mailgate.tickets.lookups import VALID
from schema import PersonalQueue, Queue, User, UserPreference
from schema.agents import USER_EMAIL_KEY, USER_LANGUAGE_KEY

WRITE_PERMISSION = "rw"


@dataclass(frozen=True, slots=True)
class Subscriber:
    """An agent subscribed to a queue, with the address and language notifications use."""

    user_id: int
    email: str
    language: str | None = None


QUEUE_GROUP = select(Queue.group_id).where(Queue.id == bindparam("queue_id")).scalar_subquery()
EMAIL_PREFERENCE = aliased(UserPreference)
LANGUAGE_PREFERENCE = aliased(UserPreference)
SUBSCRIBERS = (
    select(User.id, User.login, EMAIL_PREFERENCE.preferences_value, LANGUAGE_PREFERENCE.preferences_value)
    .join(PersonalQueue, PersonalQueue.user_id == User.id)
    .outerjoin(
        EMAIL_PREFERENCE,
        (EMAIL_PREFERENCE.user_id == User.id) & (EMAIL_PREFERENCE.preferences_key == USER_EMAIL_KEY),
    )
    .outerjoin(
        LANGUAGE_PREFERENCE,
        (LANGUAGE_PREFERENCE.user_id == User.id) & (LANGUAGE_PREFERENCE.preferences_key == USER_LANGUAGE_KEY),
    )
    .where(
        PersonalQueue.queue_id == bindparam("queue_id"),
        User.valid_id == VALID,
        User.id.in_(users_with_permission(QUEUE_GROUP, WRITE_PERMISSION)),
    )
    .order_by(User.id)
)


def queue_subscribers(session: Session, queue_id: int) -> list[Subscriber]:
    """Valid agents with "My Queues" on this queue and rw on its group, that have a mail address."""
    found: dict[int, Subscriber] = {}
    for user_id, login, email_pref, language in session.connection().execute(
        SUBSCRIBERS, {"queue_id": queue_id}
    ):
        email = (email_pref or "").strip() or (login if "@" in login else "")
        if email and user_id not in found:  # duplicate preference rows: the first counts
            found[user_id] = Subscriber(user_id, email, (language or "").strip() or None)
    return list(found.values())
