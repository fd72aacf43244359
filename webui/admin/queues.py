"""Admin: queues (Znuny's queue table) with their auto-responses per type (queue_auto_response)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from schema import AutoResponse, PermissionGroup, Queue, QueueAutoResponse
from webui.access import current_agent
from webui.admin import bp
from webui.admin.common import (
    address_choices,
    auto_response_types,
    calendar_choices,
    follow_up_choices,
    group_choices,
    now,
    salutation_choices,
    signature_choices,
)
from webui.admin.crud import Area, register_area
from webui.admin.forms import Field, FormErrors, id_select, valid_select

MINUTES = "minutes, 0 or empty: none"
PERCENT = "notify at this % of the time"


def _response_field(session: Session, type_id: int, type_name: str) -> Field:
    rows = session.execute(
        select(AutoResponse.id, AutoResponse.name)
        .where(AutoResponse.type_id == type_id)
        .order_by(AutoResponse.name)
    )
    return Field(f"auto_response_{type_id}", f"Auto-response: {type_name}", "select",
                 choices=[(str(ident), name) for ident, name in rows])  # fmt: skip


def queue_fields(session: Session, _row: Any) -> list[Field]:
    """The queue form."""
    fields = [
        Field("name", "Name", required=True, help="sub-queues as Parent::Child"),
        id_select("group_id", "Group", group_choices(session)),
        id_select("system_address_id", "System address", address_choices(session)),
        id_select("salutation_id", "Salutation", salutation_choices(session)),
        id_select("signature_id", "Signature", signature_choices(session)),
        id_select("follow_up_id", "Follow-up to a closed ticket", follow_up_choices(session)),
        Field("follow_up_lock", "Lock the ticket to its owner on a follow-up after close", "checkbox"),
        Field("unlock_timeout", "Unlock timeout", "int", minimum=0, help=MINUTES),
        Field("first_response_time", "First response time", "int", minimum=0, help=MINUTES),
        Field("first_response_notify", "First response notify", "int", minimum=0, maximum=100, help=PERCENT),
        Field("update_time", "Update time", "int", minimum=0, help=MINUTES),
        Field("update_notify", "Update notify", "int", minimum=0, maximum=100, help=PERCENT),
        Field("solution_time", "Solution time", "int", minimum=0, help=MINUTES),
        Field("solution_notify", "Solution notify", "int", minimum=0, maximum=100, help=PERCENT),
        Field("calendar_name", "Business calendar", "select", choices=calendar_choices(session)[1:]),
        valid_select(),
        Field("comments", "Comment", maxlength=250),
    ]  # fmt: skip
    fields += [_response_field(session, kind.id, kind.name) for kind in auto_response_types(session)]
    return fields


def _check(session: Session, row: Queue | None, values: dict[str, Any], errors: FormErrors) -> None:
    values["follow_up_lock"] = int(bool(values["follow_up_lock"]))
    values["calendar_name"] = values["calendar_name"] or None
    clash = session.scalar(select(Queue.id).where(func.lower(Queue.name) == (values["name"] or "").lower()))
    if clash is not None and (row is None or clash != row.id):
        errors["name"] = "another queue has this name"


def _save_responses(session: Session, row: Queue, values: dict[str, Any], _errors: FormErrors) -> None:
    """Replace the queue's queue_auto_response rows with the chosen one per type."""
    session.execute(delete(QueueAutoResponse).where(QueueAutoResponse.queue_id == row.id))
    stamp = now()
    user = current_agent().id
    for key, value in values.items():
        if key.startswith("auto_response_") and value:
            session.add(QueueAutoResponse(queue_id=row.id, auto_response_id=int(value), create_time=stamp,
                                          change_time=stamp, create_by=user, change_by=user))  # fmt: skip


def _current_responses(session: Session, row: Queue) -> dict[str, Any]:
    rows = session.execute(
        select(AutoResponse.type_id, AutoResponse.id)
        .join(QueueAutoResponse, QueueAutoResponse.auto_response_id == AutoResponse.id)
        .where(QueueAutoResponse.queue_id == row.id)
    )
    return {f"auto_response_{type_id}": str(ident) for type_id, ident in rows}


def _group_name(session: Session, row: Queue) -> str:
    return session.get_one(PermissionGroup, row.group_id).name


register_area(
    bp,
    Area(
        name="queues",
        title="Queues",
        singular="Queue",
        model=Queue,
        fields=queue_fields,
        columns=(
            ("Name", lambda _s, r: r.name),
            ("Group", _group_name),
            ("First response (min)", lambda _s, r: str(r.first_response_time or "")),
            ("Calendar", lambda _s, r: r.calendar_name or ""),
            ("Comment", lambda _s, r: r.comments or ""),
        ),
        order_by=Queue.name,
        check=_check,
        after_save=_save_responses,
        values=_current_responses,
    ),
)
