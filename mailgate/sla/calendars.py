"""Calendars as data: mailgate_sla_calendar rows by Znuny calendar name, built once per change."""

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


def spec_of(row: SlaCalendar) -> CalendarSpec:
    """The CalendarSpec a stored row describes; CalendarError if it is malformed."""
    return CalendarSpec.from_data(
        row.name,
        time_zone=row.time_zone or "UTC",
        working_hours=json.loads(row.working_hours or "{}"),
        country=row.country,
        subdivision=row.subdivision,
        holidays=json.loads(row.holidays or "[]"),
    )


class CalendarStore:
    """Business calendars by name, rebuilt only when their row changes (holidays objects are costly)."""

    def __init__(self) -> None:
        """An empty cache."""
        self._built: dict[str, tuple[tuple[object, ...], BusinessCalendar]] = {}
        self._default = BusinessCalendar(ZNUNY_DEFAULT)

    def get(self, session: Session, name: str | None) -> BusinessCalendar:
        """The calendar named `name` (queue/SLA calendar_name); the default one when unnamed or unknown."""
        names = [name, DEFAULT_NAME] if name and name != DEFAULT_NAME else [DEFAULT_NAME]
        rows = {
            row.name: row for row in session.scalars(select(SlaCalendar).where(SlaCalendar.name.in_(names)))
        }
        for candidate in names:
            row = rows.get(candidate)
            if row is not None:
                return self._build(row)
        if name:
            log.warning("SLA calendar %r is not defined: counting on the default calendar", name)
        return self._default

    def _build(self, row: SlaCalendar) -> BusinessCalendar:
        key = (row.time_zone, row.working_hours, row.country, row.subdivision, row.holidays)
        cached = self._built.get(row.name)
        if cached is not None and cached[0] == key:
            return cached[1]
        calendar = BusinessCalendar(spec_of(row))
        self._built[row.name] = (key, calendar)
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
