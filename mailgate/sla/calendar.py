"""Business calendars: working hours per weekday in a time zone, minus holidays; pure and fast.

Time is counted in real elapsed seconds inside working intervals. Intervals are wall-clock
times of each local day, turned into UTC instants day by day, so a DST change shortens or
lengthens the day exactly as the clock on the wall does. Adding business time steps from
interval to interval (never minute by minute).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mailgate.errors import MailgateError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_MINUTES = 24 * 60
MAX_SEARCH_DAYS = 3660  # ten years without one working minute: the calendar is unusable
_CACHE_DAYS = 4000

Interval = tuple[int, int]  # minutes after local midnight: [start, end)


class CalendarError(MailgateError):
    """A calendar definition is invalid, or has no working time to count."""


def _minutes(text: str) -> int:
    """Minutes after midnight of 'HH:MM' (24:00 allowed as an end)."""
    try:
        hours, minutes = (int(part) for part in text.strip().split(":"))
    except ValueError:
        raise CalendarError(f"bad time {text!r}: expected HH:MM") from None
    value = hours * 60 + minutes
    if not (0 <= minutes < 60 and 0 <= value <= DAY_MINUTES):
        raise CalendarError(f"bad time {text!r}")
    return value


def parse_interval(text: str) -> Interval:
    """'08:00-12:30' as minutes (480, 750)."""
    start, sep, end = text.partition("-")
    if not sep:
        raise CalendarError(f"bad interval {text!r}: expected HH:MM-HH:MM")
    interval = (_minutes(start), _minutes(end))
    if interval[0] >= interval[1]:
        raise CalendarError(f"empty interval {text!r}")
    return interval


def merge_intervals(intervals: Iterable[Interval]) -> tuple[Interval, ...]:
    """Sorted, with overlapping or touching intervals joined."""
    merged: list[list[int]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple((start, end) for start, end in merged)


def hours_to_intervals(hours: Iterable[int]) -> tuple[Interval, ...]:
    """Znuny's TimeWorkingHours list (each hour h counts [h:00, h+1:00)) as merged intervals."""
    return merge_intervals((hour * 60, hour * 60 + 60) for hour in hours)


def parse_week(spec: Mapping[str, Sequence[str]]) -> tuple[tuple[Interval, ...], ...]:
    """{'mon': ['08:00-12:00', '13:00-17:00'], ...} as seven tuples of intervals (Monday first)."""
    unknown = set(spec) - set(WEEKDAYS)
    if unknown:
        raise CalendarError(f"unknown weekday(s) {sorted(unknown)}: use {', '.join(WEEKDAYS)}")
    return tuple(merge_intervals(parse_interval(text) for text in spec.get(day, ())) for day in WEEKDAYS)


def parse_holiday_dates(values: Iterable[str]) -> tuple[frozenset[date], frozenset[tuple[int, int]]]:
    """Explicit holidays: 'YYYY-MM-DD' once, 'MM-DD' every year."""
    once: set[date] = set()
    yearly: set[tuple[int, int]] = set()
    for value in values:
        text = value.strip()
        try:
            if text.count("-") == 2:
                once.add(date.fromisoformat(text))
            else:
                month, day = (int(part) for part in text.split("-"))
                date(2000, month, day)  # validates (2000 is a leap year: 02-29 allowed)
                yearly.add((month, day))
        except ValueError:
            raise CalendarError(f"bad holiday {value!r}: expected YYYY-MM-DD or MM-DD") from None
    return frozenset(once), frozenset(yearly)


@dataclass(frozen=True, slots=True)
class CalendarSpec:
    """A calendar as data: weekly working intervals, time zone, holiday country and explicit dates."""

    name: str = ""
    time_zone: str = "UTC"
    week: tuple[tuple[Interval, ...], ...] = ((),) * 7  # Monday first, local wall-clock minutes
    country: str | None = None  # `holidays` country code, e.g. "DE"
    subdivision: str | None = None  # `holidays` subdivision, e.g. "BY"
    dates: frozenset[date] = field(default_factory=frozenset)  # one-time holidays
    yearly: frozenset[tuple[int, int]] = field(default_factory=frozenset)  # (month, day) every year

    @classmethod
    def from_data(
        cls,
        name: str,
        *,
        time_zone: str = "UTC",
        working_hours: Mapping[str, Sequence[str]],
        country: str | None = None,
        subdivision: str | None = None,
        holidays: Iterable[str] = (),
    ) -> CalendarSpec:
        """Build from the stored form (working_hours as 'HH:MM-HH:MM' strings per weekday)."""
        once, yearly = parse_holiday_dates(holidays)
        return cls(
            name, time_zone, parse_week(working_hours), country or None, subdivision or None, once, yearly
        )


# Znuny's defaults: TimeWorkingHours Mon-Fri hours 8..20 (08:00-21:00), TimeZone UTC, and the
# yearly TimeVacationDays 1 Jan, 1 May, 24-26 Dec and 31 Dec.
ZNUNY_DEFAULT = CalendarSpec(
    name="",
    time_zone="UTC",
    week=(hours_to_intervals(range(8, 21)),) * 5 + ((), ()),
    yearly=frozenset({(1, 1), (5, 1), (12, 24), (12, 25), (12, 26), (12, 31)}),
)


def _load_country(spec: CalendarSpec) -> Any:
    """The `holidays` object of the spec's country and subdivision (years filled in on demand)."""
    if not spec.country:
        return None
    import holidays  # imported lazily: most deployments never count business time

    try:
        return holidays.country_holidays(spec.country, subdiv=spec.subdivision)
    except NotImplementedError as exc:
        raise CalendarError(f"calendar {spec.name!r}: {exc}") from None


def _zone(spec: CalendarSpec) -> ZoneInfo:
    try:
        return ZoneInfo(spec.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise CalendarError(f"calendar {spec.name!r}: unknown time zone {spec.time_zone!r}") from None


def to_epoch(moment: datetime) -> int:
    """Whole seconds since the epoch; a naive datetime is UTC (Znuny's timestamps)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def from_epoch(seconds: int) -> datetime:
    """An aware UTC datetime."""
    return datetime.fromtimestamp(seconds, UTC)


class BusinessCalendar:
    """Counts and adds business time on one CalendarSpec; caches each day's UTC intervals."""

    def __init__(self, spec: CalendarSpec) -> None:
        """Validate the spec; raises CalendarError for a bad zone or country."""
        if len(spec.week) != 7:
            raise CalendarError(f"calendar {spec.name!r}: need 7 weekdays, got {len(spec.week)}")
        if not any(spec.week):
            raise CalendarError(f"calendar {spec.name!r} has no working hours")
        self.spec = spec
        self.zone = _zone(spec)
        self._country = _load_country(spec)
        self._days: dict[date, tuple[tuple[int, int], ...]] = {}

    def is_holiday(self, day: date) -> bool:
        """Whether no work is counted on this local date (a holiday of any source)."""
        if day in self.spec.dates or (day.month, day.day) in self.spec.yearly:
            return True
        return self._country is not None and day in self._country

    def day_intervals(self, day: date) -> tuple[tuple[int, int], ...]:
        """The working intervals of one local date as [start, end) epoch seconds."""
        found = self._days.get(day)
        if found is None:
            found = () if self.is_holiday(day) else self._intervals_of(day)
            if len(self._days) > _CACHE_DAYS:
                self._days.clear()
            self._days[day] = found
        return found

    def _intervals_of(self, day: date) -> tuple[tuple[int, int], ...]:
        result: list[tuple[int, int]] = []
        for start, end in self.spec.week[day.weekday()]:
            begin, finish = self._instant(day, start), self._instant(day, end)
            if finish > begin:  # a wall-clock span swallowed by a DST gap counts nothing
                result.append((begin, finish))
        return tuple(result)

    def _instant(self, day: date, minute: int) -> int:
        """Epoch seconds of a local wall-clock minute (24:00 is the next midnight)."""
        if minute >= DAY_MINUTES:
            day, minute = day + timedelta(days=1), minute - DAY_MINUTES
        local = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=self.zone)
        return int(local.timestamp())

    def _local_date(self, seconds: int) -> date:
        return datetime.fromtimestamp(seconds, self.zone).date()

    def add_seconds(self, start: int, seconds: int) -> int:
        """The epoch second at which `seconds` of business time have passed since `start`."""
        if seconds < 0:
            raise ValueError("cannot add negative business time")
        if seconds == 0:
            return start
        day = self._local_date(start) - timedelta(days=1)  # yesterday's interval may reach past midnight
        idle = 0
        while True:
            intervals = self.day_intervals(day)
            for begin, end in intervals:
                begin = max(begin, start)
                if begin >= end:
                    continue
                if seconds <= end - begin:
                    return begin + seconds
                seconds -= end - begin
            idle = 0 if intervals else idle + 1
            if idle > MAX_SEARCH_DAYS:
                raise CalendarError(f"calendar {self.spec.name!r}: no working time for ten years")
            day += timedelta(days=1)

    def seconds_between(self, start: int, end: int) -> int:
        """Business seconds in [start, end); 0 if end <= start."""
        if end <= start:
            return 0
        total = 0
        day, last = self._local_date(start) - timedelta(days=1), self._local_date(end)
        while day <= last:
            for begin, finish in self.day_intervals(day):
                total += max(0, min(finish, end) - max(begin, start))
            day += timedelta(days=1)
        return total

    def add_minutes(self, start: datetime, minutes: float) -> datetime:
        """The instant (aware UTC) at which `minutes` of business time have passed since `start`."""
        return from_epoch(self.add_seconds(to_epoch(start), round(minutes * 60)))

    def minutes_between(self, start: datetime, end: datetime) -> float:
        """Business minutes between two instants (naive = UTC)."""
        return self.seconds_between(to_epoch(start), to_epoch(end)) / 60

    def is_working(self, moment: datetime) -> bool:
        """Whether business time is counted at this instant."""
        second = to_epoch(moment)
        return any(
            begin <= second < end
            for day in (self._local_date(second) - timedelta(days=1), self._local_date(second))
            for begin, end in self.day_intervals(day)
        )
