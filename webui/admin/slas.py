"""Admin: SLAs (Znuny's sla table) and business calendars (mailgate_sla_calendar).

A calendar is checked exactly as the SLA clock builds it (mailgate.sla.calendar.BusinessCalendar):
a bad interval, holiday, time zone or country, or a week without working time, is refused.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mailgate.sla.calendar import WEEKDAYS, BusinessCalendar, CalendarError, CalendarSpec
from schema import Sla, SlaCalendar
from webui.admin import bp
from webui.admin.common import calendar_choices, now
from webui.admin.crud import Area, register_area
from webui.admin.forms import Field, FormErrors, valid_select

MINUTES = "minutes of business time"
PERCENT = "notify at this % of the time"
DAY_NAMES = dict(
    zip(WEEKDAYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"), strict=True)
)


def sla_fields(session: Session, _row: Any) -> list[Field]:
    """The SLA form (Znuny requires the three times; 0 means no target)."""
    return [
        Field("name", "Name", required=True),
        Field("calendar_name", "Business calendar", "select", choices=calendar_choices(session)[1:]),
        Field("first_response_time", "First response time", "int", required=True, minimum=0, help=MINUTES),
        Field("first_response_notify", "First response notify", "int", minimum=0, maximum=100, help=PERCENT),
        Field("update_time", "Update time", "int", required=True, minimum=0, help=MINUTES),
        Field("update_notify", "Update notify", "int", minimum=0, maximum=100, help=PERCENT),
        Field("solution_time", "Solution time", "int", required=True, minimum=0, help=MINUTES),
        Field("solution_notify", "Solution notify", "int", minimum=0, maximum=100, help=PERCENT),
        valid_select(),
        Field("comments", "Comment", maxlength=250),
    ]


def _unique(model: Any, session: Session, row: Any, name: str | None, errors: FormErrors) -> None:
    clash = session.scalar(select(model.id).where(func.lower(model.name) == (name or "").lower()))
    if clash is not None and (row is None or clash != row.id):
        errors["name"] = "this name is taken"


def _check_sla(session: Session, row: Sla | None, values: dict[str, Any], errors: FormErrors) -> None:
    values["calendar_name"] = values["calendar_name"] or None
    _unique(Sla, session, row, values["name"], errors)


register_area(
    bp,
    Area(
        name="slas",
        title="SLAs",
        singular="SLA",
        model=Sla,
        fields=sla_fields,
        columns=(
            ("Name", lambda _s, r: r.name),
            ("Calendar", lambda _s, r: r.calendar_name or ""),
            ("First response (min)", lambda _s, r: str(r.first_response_time)),
            ("Solution (min)", lambda _s, r: str(r.solution_time)),
        ),
        order_by=Sla.name,
        check=_check_sla,
    ),
)


def calendar_fields(_session: Session, _row: Any) -> list[Field]:
    """The calendar form: time zone, working intervals per weekday, holidays."""
    days = [
        Field(f"day_{day}", DAY_NAMES[day], help="e.g. 08:00-12:00, 13:00-17:00; empty: no work")
        for day in WEEKDAYS
    ]
    return [
        Field(
            "name",
            "Name",
            required=True,
            maxlength=100,
            help="as queues and SLAs name it; 'default' for all others",
        ),
        Field("time_zone", "Time zone", required=True, maxlength=64, help="IANA name, e.g. Europe/Berlin"),
        *days,
        Field(
            "country",
            "Public holidays of country",
            maxlength=10,
            help="code of the holidays package, e.g. DE",
        ),
        Field("subdivision", "… and subdivision", maxlength=20, help="e.g. BY"),
        Field(
            "holidays",
            "Further holidays",
            "textarea",
            maxlength=None,
            rows=4,
            help="one a line: YYYY-MM-DD once, MM-DD every year",
        ),
        Field("comments", "Comment", maxlength=250),
    ]


def _check_calendar(
    session: Session, row: SlaCalendar | None, values: dict[str, Any], errors: FormErrors
) -> None:
    _unique(SlaCalendar, session, row, values["name"], errors)
    hours = {
        day: [part.strip() for part in (values.get(f"day_{day}") or "").split(",") if part.strip()]
        for day in WEEKDAYS
    }
    holidays = [line.strip() for line in (values.get("holidays") or "").splitlines() if line.strip()]
    try:
        spec = CalendarSpec.from_data(
            values["name"] or "",
            time_zone=values["time_zone"] or "UTC",
            working_hours={d: h for d, h in hours.items() if h},
            country=values["country"] or None,
            subdivision=values["subdivision"] or None,
            holidays=holidays,
        )
        BusinessCalendar(spec)
    except CalendarError as exc:
        errors["_form"] = f"not saved: {exc}"
        return
    values.update(
        working_hours=json.dumps({day: found for day, found in hours.items() if found}),
        holidays=json.dumps(holidays),
        country=values["country"] or None,
        subdivision=values["subdivision"] or None,
        comments=values["comments"] or None,
        change_time=now(),
    )
    if row is None:
        values["create_time"] = values["change_time"]


def _calendar_values(_session: Session, row: SlaCalendar) -> dict[str, Any]:
    hours = json.loads(row.working_hours or "{}")
    values: dict[str, Any] = {f"day_{day}": ", ".join(hours.get(day, [])) for day in WEEKDAYS}
    values["holidays"] = "\n".join(json.loads(row.holidays or "[]"))
    return values


def _week(_session: Session, row: SlaCalendar) -> str:
    hours = json.loads(row.working_hours or "{}")
    return "; ".join(f"{day} {', '.join(hours[day])}" for day in WEEKDAYS if hours.get(day))


register_area(
    bp,
    Area(
        name="calendars",
        title="Business calendars",
        singular="Calendar",
        model=SlaCalendar,
        fields=calendar_fields,
        columns=(
            ("Name", lambda _s, r: r.name),
            ("Time zone", lambda _s, r: r.time_zone),
            ("Working hours", _week),
            ("Holidays of", lambda _s, r: " ".join(filter(None, (r.country, r.subdivision)))),
        ),
        order_by=SlaCalendar.name,
        audited=False,
        check=_check_calendar,
        values=_calendar_values,
    ),
)
