"""Business calendars: weekends, holidays, DST, several intervals a day, large additions."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from mailgate.sla.calendar import (
    ZNUNY_DEFAULT,
    BusinessCalendar,
    CalendarError,
    CalendarSpec,
    hours_to_intervals,
    parse_week,
)

BERLIN = ZoneInfo("Europe/Berlin")
OFFICE = {day: ["09:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")}
SPLIT = {day: ["08:00-12:00", "13:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")}


def cal(hours: dict[str, list[str]] = OFFICE, tz: str = "Europe/Berlin", **kw: object) -> BusinessCalendar:
    return BusinessCalendar(CalendarSpec.from_data("t", time_zone=tz, working_hours=hours, **kw))  # type: ignore[arg-type]


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)  # type: ignore[misc]


def test_friday_afternoon_plus_four_hours_lands_monday() -> None:
    # 2026-11-27 is a Friday; 17:00 is after hours, so all 4 h fall on Monday 09:00-13:00
    assert cal().add_minutes(local(2026, 11, 27, 16, 0), 240) == local(2026, 11, 30, 12, 0)
    assert cal().add_minutes(local(2026, 11, 27, 17, 0), 240) == local(2026, 11, 30, 13, 0)
    assert cal().add_minutes(local(2026, 11, 28, 11, 0), 1) == local(2026, 11, 30, 9, 1)


def test_deadline_at_the_end_of_an_interval_stays_on_that_day() -> None:
    assert cal().add_minutes(local(2026, 11, 27, 13, 0), 240) == local(2026, 11, 27, 17, 0)


def test_country_holiday_and_explicit_dates_are_skipped() -> None:
    # 2026-12-25/26 are German holidays (Friday, Saturday); 2026-12-28 is added by hand
    german = cal(country="DE", holidays=["2026-12-28"])
    assert german.is_holiday(date(2026, 12, 25)) and german.is_holiday(date(2026, 12, 28))
    assert german.add_minutes(local(2026, 12, 24, 16, 0), 120) == local(2026, 12, 29, 10, 0)
    # a subdivision's own holiday: 6 January is a holiday in Bavaria, not in Berlin
    assert cal(country="DE", subdivision="BY").is_holiday(date(2027, 1, 6))
    assert not cal(country="DE", subdivision="BE").is_holiday(date(2027, 1, 6))


def test_yearly_dates_repeat() -> None:
    calendar = cal(holidays=["12-31"])
    assert calendar.is_holiday(date(2026, 12, 31)) and calendar.is_holiday(date(2031, 12, 31))
    assert not calendar.is_holiday(date(2031, 12, 30))


def test_several_intervals_a_day() -> None:
    calendar = cal(SPLIT)
    assert calendar.add_minutes(local(2026, 11, 25, 11, 0), 90) == local(2026, 11, 25, 13, 30)
    assert calendar.minutes_between(local(2026, 11, 25, 7, 0), local(2026, 11, 25, 18, 0)) == 480
    assert calendar.minutes_between(local(2026, 11, 25, 11, 30), local(2026, 11, 25, 13, 15)) == 45


def test_dst_days_count_real_time() -> None:
    # Berlin springs forward on 2026-03-29 (02:00 -> 03:00) and falls back on 2026-10-25 (03:00 -> 02:00)
    around = {day: ["00:00-24:00"] for day in ("sat", "sun", "mon")}
    calendar = cal(around)
    assert calendar.minutes_between(local(2026, 3, 29, 0, 0), local(2026, 3, 30, 0, 0)) == 23 * 60
    assert calendar.minutes_between(local(2026, 10, 25, 0, 0), local(2026, 10, 26, 0, 0)) == 25 * 60
    # office hours keep their wall-clock times on both sides of the change
    office = cal()
    friday = local(2026, 3, 27, 16, 0)
    assert office.add_minutes(friday, 120) == local(2026, 3, 30, 10, 0)
    assert office.add_minutes(friday, 120).astimezone(UTC) == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)


def test_time_zone_decides_the_local_day() -> None:
    # 23:30 UTC on Friday is already Saturday in Tokyo: nothing counts until Monday 09:00 JST
    tokyo = cal(tz="Asia/Tokyo")
    start = datetime(2026, 11, 27, 23, 30, tzinfo=UTC)
    assert tokyo.add_minutes(start, 60) == datetime(2026, 11, 30, 10, 0, tzinfo=ZoneInfo("Asia/Tokyo"))


def test_add_and_between_are_inverse() -> None:
    calendar = cal(SPLIT, country="DE")
    start = local(2026, 11, 27, 10, 17)
    for minutes in (0, 1, 59, 180, 481, 5000, 77777):
        end = calendar.add_minutes(start, minutes)
        assert calendar.minutes_between(start, end) == minutes
        assert minutes == 0 or calendar.is_working(end - timedelta(seconds=1))


def test_large_additions_are_fast() -> None:
    calendar = cal(SPLIT, country="DE")
    started = time.perf_counter()
    end = calendar.add_minutes(local(2026, 1, 1, 0, 0), 1_000_000)  # about eight years of office time
    assert time.perf_counter() - started < 2.0
    assert end.year in (2033, 2034, 2035)
    assert calendar.minutes_between(local(2026, 1, 1, 0, 0), end) == 1_000_000


def test_naive_instants_are_utc() -> None:
    calendar = cal(tz="UTC")
    assert calendar.add_minutes(datetime(2026, 11, 27, 16, 0), 120) == datetime(
        2026, 11, 30, 10, 0, tzinfo=UTC
    )


def test_znuny_default_calendar() -> None:
    calendar = BusinessCalendar(ZNUNY_DEFAULT)
    assert ZNUNY_DEFAULT.week[0] == ((8 * 60, 21 * 60),) and ZNUNY_DEFAULT.week[5] == ()
    assert calendar.is_holiday(date(2027, 5, 1)) and calendar.is_holiday(date(2027, 12, 24))
    assert calendar.add_minutes(datetime(2026, 11, 27, 17, 0), 240) == datetime(
        2026, 11, 27, 21, 0, tzinfo=UTC
    )


def test_bad_definitions_are_refused() -> None:
    with pytest.raises(CalendarError):
        parse_week({"mon": ["9-17"]})
    with pytest.raises(CalendarError):
        parse_week({"monday": ["09:00-17:00"]})
    with pytest.raises(CalendarError):
        parse_week({"mon": ["17:00-09:00"]})
    with pytest.raises(CalendarError):
        cal(tz="Mars/Olympus")
    with pytest.raises(CalendarError):
        cal(country="XX")
    with pytest.raises(CalendarError):
        cal({})
    leap_year = [date(2028, 1, 1) + timedelta(days=n) for n in range(366)]
    every_day_off = cal(holidays=[day.strftime("%m-%d") for day in leap_year])
    with pytest.raises(CalendarError):
        every_day_off.add_minutes(local(2026, 1, 1, 0, 0), 1)


def test_hours_list_and_overlaps_merge() -> None:
    assert hours_to_intervals([8, 9, 10, 14]) == ((480, 660), (840, 900))
    assert parse_week({"mon": ["08:00-12:00", "11:00-13:00", "13:00-14:00"]})[0] == ((480, 840),)
