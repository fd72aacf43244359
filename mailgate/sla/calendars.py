"""Calendars as data: mailgate_sla_calendar rows by Znuny calendar name, built once per content."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailgate.sla.calendar import ZNUNY_DEFAULT, BusinessCalendar, CalendarSpec
from schema.sla import SlaCalendar

log = logging.getLogger(__name__)

DEFAULT_NAME = "default"
"""A stored calendar of this name replaces Znuny's built-in default for tickets naming no calendar."""


CalendarRow = tuple[Any, ...]
"""(name, time_zone, working_hours JSON, country, subdivision, holidays JSON) of a stored calendar."""


def calendar_columns(table: Any = SlaCalendar) -> list[Any]:
    """The columns of a CalendarRow, of mailgate_sla_calendar or an alias of it."""
    return [
        table.name,
        table.time_zone,
        table.working_hours,
        table.country,
        table.subdivision,
        table.holidays,
    ]


def spec_of(row: SlaCalendar | CalendarRow) -> CalendarSpec:
    """The CalendarSpec a stored row describes; CalendarError if it is malformed."""
    name, time_zone, hours, country, subdivision, holidays = (
        row if isinstance(row, tuple) else tuple(getattr(row, column.key) for column in calendar_columns())
    )
    return CalendarSpec.from_data(
        name,
        time_zone=time_zone or "UTC",
        working_hours=json.loads(hours or "{}"),
        country=country,
        subdivision=subdivision,
        holidays=json.loads(holidays or "[]"),
    )


class CalendarStore:
    """Business calendars built from their stored rows, rebuilt only when a row's content changes."""

    def __init__(self) -> None:
        """An empty cache."""
        self._built: dict[CalendarRow, BusinessCalendar] = {}
        self._default = BusinessCalendar(ZNUNY_DEFAULT)

    def resolve(
        self, name: str | None, named: CalendarRow | None, fallback: CalendarRow | None
    ) -> BusinessCalendar:
        """The calendar from the row named `name`, else the 'default' row, else Znuny's default."""
        for row in (named, fallback):
            if row is not None and row[0] is not None:
                return self._build(tuple(row))
        if name and name != DEFAULT_NAME:
            log.warning("SLA calendar %r is not defined: counting on the default calendar", name)
        return self._default

    def get(self, session: Session, name: str | None) -> BusinessCalendar:
        """The calendar named `name` (a calendar_name), read now; the default when unnamed or unknown."""
        names = [name, DEFAULT_NAME] if name and name != DEFAULT_NAME else [DEFAULT_NAME]
        rows = {
            row[0]: tuple(row)
            for row in session.execute(select(*calendar_columns()).where(SlaCalendar.name.in_(names)))
        }
        return self.resolve(name, rows.get(name) if name else None, rows.get(DEFAULT_NAME))

    def _build(self, row: CalendarRow) -> BusinessCalendar:
        calendar = self._built.get(row)
        if calendar is None:
            if len(self._built) > 64:  # calendars are few; edited ones leave stale entries behind
                self._built.clear()
            calendar = self._built[row] = BusinessCalendar(spec_of(row))
        return calendar


def save_calendar(session: Session, spec_data: Mapping[str, Any], now: datetime) -> SlaCalendar:
    """Insert or replace the calendar named spec_data['name'] after validating it; returns the row."""
    name = str(spec_data["name"])
    row = session.scalar(select(SlaCalendar).where(SlaCalendar.name == name))
    if row is None:
        row = SlaCalendar(name=name, create_time=now)
        session.add(row)
    row.time_zone = str(spec_data.get("time_zone") or "UTC")
    row.working_hours = json.dumps(spec_data.get("working_hours") or {})
    row.country = str(spec_data["country"]) if spec_data.get("country") else None
    row.subdivision = str(spec_data["subdivision"]) if spec_data.get("subdivision") else None
    row.holidays = json.dumps(list(spec_data.get("holidays") or []))
    row.comments = str(spec_data["comments"]) if spec_data.get("comments") else None
    row.change_time = now
    BusinessCalendar(spec_of(row))  # raises CalendarError before anything is committed
    session.flush()
    return row
