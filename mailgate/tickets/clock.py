"""Znuny's notion of time in rows: naive UTC timestamps to the second and epoch seconds."""

from __future__ import annotations

from datetime import UTC, datetime


def now_utc() -> datetime:
    """The current time as a naive UTC datetime without microseconds (Znuny's timestamp(0))."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def epoch(moment: datetime) -> int:
    """Seconds since the epoch of a naive UTC datetime."""
    return int(moment.replace(tzinfo=UTC).timestamp())
