"""Admin: system addresses (mail address, display name and the queue mail to it goes to)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from schema import Queue, SystemAddress
from webui.admin import bp
from webui.admin.common import queue_choices
from webui.admin.crud import Area, register_area
from webui.admin.forms import Field, FormErrors, id_select, valid_select


def address_fields(session: Session, _row: Any) -> list[Field]:
    """The system address form (Znuny: value0 is the address, value1 its display name)."""
    return [
        Field("value0", "Mail address", "email", required=True),
        Field("value1", "Display name", required=True),
        id_select("queue_id", "Queue", queue_choices(session)),
        valid_select(),
        Field("comments", "Comment", maxlength=250),
    ]


def _check(session: Session, row: SystemAddress | None, values: dict[str, Any], errors: FormErrors) -> None:
    address = (values.get("value0") or "").strip()
    query = select(SystemAddress.id).where(func.lower(SystemAddress.value0) == address.lower())
    clash = session.scalar(query)
    if clash is not None and (row is None or clash != row.id):
        errors["value0"] = "another system address has this mail address"


def _queue_name(session: Session, row: SystemAddress) -> str:
    queue = session.get(Queue, row.queue_id)
    return queue.name if queue is not None else f"(queue {row.queue_id})"


register_area(
    bp,
    Area(
        name="addresses",
        title="System addresses",
        singular="System address",
        model=SystemAddress,
        fields=address_fields,
        columns=(
            ("Address", lambda _s, r: r.value0),
            ("Display name", lambda _s, r: r.value1),
            ("Queue", _queue_name),
            ("Comment", lambda _s, r: r.comments or ""),
        ),
        order_by=SystemAddress.value0,
        check=_check,
    ),
)
