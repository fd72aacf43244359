"""Shared bits of the admin pages: Znuny's audit columns, choice lists read from the database."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from schema import (
    AutoResponseType,
    FollowUpPossible,
    PermissionGroup,
    Queue,
    Salutation,
    Signature,
    SlaCalendar,
    SystemAddress,
)
from webui.access import current_agent
from webui.admin.forms import Choices


def now() -> datetime:
    """Naive UTC to the second, as Znuny's timestamp(0) columns hold it."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def stamp_new(row: Any) -> None:
    """Fill Znuny's four audit columns of a new row with the signed-in admin and now."""
    row.create_time = row.change_time = now()
    row.create_by = row.change_by = current_agent().id


def stamp_change(row: Any) -> None:
    """Set change_time/change_by of a changed row, like Znuny does."""
    row.change_time = now()
    row.change_by = current_agent().id


def _named(session: Session, model: Any, *, valid_only: bool = False) -> Choices:
    query = select(model.id, model.name).order_by(model.name)
    if valid_only:
        query = query.where(model.valid_id == 1)
    return [(str(ident), name) for ident, name in session.execute(query)]


def group_choices(session: Session) -> Choices:
    """Permission groups by name."""
    return _named(session, PermissionGroup)


def queue_choices(session: Session) -> Choices:
    """Queues by name."""
    return _named(session, Queue)


def salutation_choices(session: Session) -> Choices:
    """Salutations by name."""
    return _named(session, Salutation)


def signature_choices(session: Session) -> Choices:
    """Signatures by name."""
    return _named(session, Signature)


def follow_up_choices(session: Session) -> Choices:
    """Znuny's follow_up_possible rows (possible, reject, new ticket) in id order."""
    rows = session.execute(select(FollowUpPossible.id, FollowUpPossible.name).order_by(FollowUpPossible.id))
    return [(str(ident), name) for ident, name in rows]


def auto_response_types(session: Session) -> list[AutoResponseType]:
    """The auto-response types in id order."""
    return list(session.scalars(select(AutoResponseType).order_by(AutoResponseType.id)))


def address_choices(session: Session) -> Choices:
    """System addresses as "Name <email>"."""
    rows = session.execute(
        select(SystemAddress.id, SystemAddress.value0, SystemAddress.value1).order_by(SystemAddress.value0)
    )
    return [(str(ident), f"{name} <{email}>" if name else email) for ident, email, name in rows]


def calendar_choices(session: Session) -> Choices:
    """'' (the default calendar) and the stored business calendars by name."""
    names = session.scalars(select(SlaCalendar.name).order_by(SlaCalendar.name))
    return [("", "(default calendar)")] + [(name, name) for name in names]
