"""`mailgate sla check|refresh|calendar`: SLA alerts (cron or loop), escalation refresh, calendars."""

from __future__ import annotations

import json
import signal
import threading
from datetime import UTC, datetime

import click
from sqlalchemy import select

from mailgate.cli import settings_from
from mailgate.logconfig import configure_logging
from mailgate.services import build_services
from mailgate.sla.calendar import WEEKDAYS, CalendarError
from mailgate.sla.calendars import save_calendar
from mailgate.sla.job import check_once, refresh_open_tickets
from mailgate.tickets.clock import now_utc
from schema.sla import SlaCalendar


@click.group()
def sla() -> None:
    """Service levels: alerts, escalation times and business calendars."""


def _now(at: str | None) -> datetime:
    """--at (ISO, naive = UTC) or the current time."""
    if not at:
        return now_utc()
    moment = datetime.fromisoformat(at)
    return moment if moment.tzinfo is None else moment.astimezone(UTC).replace(tzinfo=None)


@sla.command("check")
@click.option("--every", type=float, default=None, help="Run again every SECONDS until stopped (no cron).")
@click.option("--at", "at", default=None, help="Check as of this ISO time (UTC) instead of now.")
@click.pass_context
def check(ctx: click.Context, every: float | None, at: str | None) -> None:
    """Write the due SLA warnings and escalation alerts (each once per ticket, target and deadline)."""
    settings = settings_from(ctx)
    configure_logging(settings)
    services = build_services(settings)
    stop = threading.Event()
    if every is not None:
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while True:
            alerts = check_once(services.sessions, _now(at))
            for alert in alerts:
                click.echo(
                    f"ticket {alert.ticket_id}: {alert.target} {alert.event} (deadline {alert.deadline})"
                )
            click.echo(f"{len(alerts)} SLA alerts written")
            if every is None or stop.wait(every):
                return
    except KeyboardInterrupt:
        return
    finally:
        services.close()


@sla.command("refresh")
@click.pass_context
def refresh(ctx: click.Context) -> None:
    """Recompute the escalation times of all tickets not closed (after changing targets or calendars)."""
    services = build_services(settings_from(ctx))
    try:
        click.echo(f"{refresh_open_tickets(services.sessions, now_utc())} tickets refreshed")
    finally:
        services.close()


@sla.group("calendar")
def calendar() -> None:
    """Business calendars, by the name queues and SLAs use in calendar_name."""


def _days(spec: str) -> list[str]:
    """'mon-fri' or 'sat' or 'mon,wed' as weekday names."""
    days: list[str] = []
    for part in spec.lower().split(","):
        first, _, last = part.strip().partition("-")
        if first not in WEEKDAYS or (last and last not in WEEKDAYS):
            raise click.BadParameter(f"unknown weekday in {spec!r}: use {', '.join(WEEKDAYS)}")
        start, end = WEEKDAYS.index(first), WEEKDAYS.index(last or first)
        days += list(WEEKDAYS[start : end + 1])
    return days


def _hours(values: tuple[str, ...]) -> dict[str, list[str]]:
    """['mon-fri=08:00-12:00,13:00-17:00', 'sat=09:00-12:00'] as the stored working_hours."""
    week: dict[str, list[str]] = {}
    for value in values:
        days, sep, intervals = value.partition("=")
        if not sep:
            raise click.BadParameter(f"{value!r}: expected DAYS=HH:MM-HH:MM[,HH:MM-HH:MM]")
        for day in _days(days):
            week.setdefault(day, []).extend(item.strip() for item in intervals.split(",") if item.strip())
    return week


@calendar.command("set")
@click.argument("name")
@click.option("--tz", "time_zone", default="UTC", show_default=True, help="IANA time zone.")
@click.option(
    "--hours", multiple=True, required=True, help="DAYS=HH:MM-HH:MM[,...], e.g. mon-fri=08:00-17:00."
)
@click.option("--country", default=None, help="Holidays of this country (holidays package code, e.g. DE).")
@click.option("--subdivision", default=None, help="and of this subdivision (e.g. BY).")
@click.option("--holiday", "extra", multiple=True, help="Extra holiday: YYYY-MM-DD once, MM-DD every year.")
@click.pass_context
def set_calendar(
    ctx: click.Context,
    name: str,
    time_zone: str,
    hours: tuple[str, ...],
    country: str | None,
    subdivision: str | None,
    extra: tuple[str, ...],
) -> None:
    """Create or replace a calendar ('default' replaces Znuny's Mon-Fri 08:00-21:00 UTC default)."""
    data = {
        "name": name,
        "time_zone": time_zone,
        "working_hours": _hours(hours),
        "country": country,
        "subdivision": subdivision,
        "holidays": list(extra),
    }
    services = build_services(settings_from(ctx))
    try:
        with services.sessions.begin() as session:
            save_calendar(session, data, now_utc())
    except CalendarError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        services.close()
    click.echo(f"calendar {name!r} saved")


@calendar.command("list")
@click.pass_context
def list_calendars(ctx: click.Context) -> None:
    """The stored calendars as JSON lines."""
    services = build_services(settings_from(ctx))
    try:
        with services.sessions() as session:
            for row in session.scalars(select(SlaCalendar).order_by(SlaCalendar.name)):
                item = {
                    "name": row.name,
                    "time_zone": row.time_zone,
                    "working_hours": json.loads(row.working_hours),
                    "country": row.country,
                    "subdivision": row.subdivision,
                    "holidays": json.loads(row.holidays),
                }
                click.echo(json.dumps(item))
    finally:
        services.close()
