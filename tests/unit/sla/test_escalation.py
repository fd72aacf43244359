"""Escalation arithmetic on a clock, without a database: deadlines, warnings, pauses, alert bookkeeping."""

from __future__ import annotations

from datetime import datetime

from mailgate.sla.alerts import due_events
from mailgate.sla.calendar import BusinessCalendar, CalendarSpec, to_epoch
from mailgate.sla.escalation import TARGETS, Escalations, Targets, compute, next_alert
from schema.sla import SlaClock

UTC_OFFICE = BusinessCalendar(
    CalendarSpec.from_data(
        "t", working_hours={d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")}
    )
)
CREATED = datetime(2026, 11, 30, 9, 0)  # Monday, UTC


def clock(**values: object) -> SlaClock:
    row = SlaClock(ticket_id=1, last_article_id=0, next_alert=0)
    for target in TARGETS:
        for kind in ("paused", "warn", "warned", "escalated"):
            setattr(row, f"{target}_{kind}", 0)
    for name, value in values.items():
        setattr(row, name, value)
    return row


def targets(response: int = 0, update: int = 0, solution: int = 0, notify: int = 0) -> Targets:
    minutes = {"response": response, "update": update, "solution": solution}
    return Targets(None, minutes, dict.fromkeys(TARGETS, notify))


def at(hour: int, minute: int = 0, day: int = 30) -> int:
    month = 11 if day >= 30 else 12
    return to_epoch(datetime(2026, month, day, hour, minute))


def test_deadlines_and_warnings() -> None:
    result = compute(UTC_OFFICE, targets(response=60, solution=600, notify=50), clock(), CREATED)
    assert result.deadlines == {"response": at(10), "update": 0, "solution": at(11, 0, 1)}
    assert result.warnings == {"response": at(9, 30), "update": 0, "solution": at(14)}
    assert result.earliest == at(10)


def test_met_targets_and_pauses() -> None:
    met = clock(first_response_at=datetime(2026, 11, 30, 9, 10), update_start=datetime(2026, 11, 30, 9, 10))
    result = compute(UTC_OFFICE, targets(response=60, update=120), met, CREATED)
    assert result.deadlines["response"] == 0 and result.deadlines["update"] == at(11, 10)
    paused = clock(response_paused=30 * 60)
    assert compute(UTC_OFFICE, targets(response=60), paused, CREATED).deadlines["response"] == at(10, 30)


def test_each_alert_once_per_deadline() -> None:
    row = clock()
    escalations = Escalations(
        {"response": at(10), "update": 0, "solution": 0}, {"response": at(9, 30), "update": 0, "solution": 0}
    )
    assert next_alert(row, escalations) == at(9, 30)
    assert due_events(row, escalations, at(9, 29)) == []
    assert due_events(row, escalations, at(9, 30)) == [("response", "warn", at(10))]
    assert due_events(row, escalations, at(9, 59)) == []
    assert next_alert(row, escalations) == at(10)
    assert due_events(row, escalations, at(10)) == [("response", "escalate", at(10))]
    assert due_events(row, escalations, at(16)) == [] and next_alert(row, escalations) == 0
    moved = Escalations(
        {"response": at(15), "update": 0, "solution": 0}, {"response": at(14), "update": 0, "solution": 0}
    )
    assert next_alert(row, moved) == at(14)  # a new deadline (after a pause) is alerted again


def test_a_late_check_skips_the_warning() -> None:
    row = clock()
    escalations = Escalations(
        {"response": at(10), "update": 0, "solution": 0}, {"response": at(9, 30), "update": 0, "solution": 0}
    )
    assert due_events(row, escalations, at(12)) == [("response", "escalate", at(10))]
    assert due_events(row, escalations, at(13)) == []
