"""SLA cost: business-calendar arithmetic, and what escalation upkeep adds to the inbound pipeline.

Run: flock /tmp/mailgate-bench.lock .venv/bin/python bench/sla_bench.py [--mails 300] [--backend sqlite]

Figures, each beside its baseline from the same run:
- calendar: add_minutes over 1..1,000,000 business minutes (DE holidays, two intervals a day) against
  plain datetime + timedelta arithmetic of the same count of calls;
- pipeline: one thread processing spooled mails into tickets (70 % new tickets, 30 % replies) on queues
  without escalation targets (baseline: refresh costs two reads) and with targets on a Berlin calendar;
- refresh_escalations alone per ticket, and check_escalations per due ticket.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import psycopg
from sqlalchemy import select, update
from sqlalchemy.orm import Session

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from mailgate.initdb import init_database  # noqa: E402
from mailgate.pipeline import process as process_module  # noqa: E402
from mailgate.pipeline.process import InboundProcessor  # noqa: E402
from mailgate.services import build_services  # noqa: E402
from mailgate.settings import Settings  # noqa: E402
from mailgate.sla.alerts import check_escalations  # noqa: E402
from mailgate.sla.calendar import BusinessCalendar, CalendarSpec  # noqa: E402
from mailgate.sla.calendars import CalendarStore, save_calendar  # noqa: E402
from mailgate.sla.escalation import refresh_escalations  # noqa: E402
from schema import GroupUser, InboundSource, Queue, Ticket, User, UserPreference  # noqa: E402

ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
OFFICE = {day: ["08:00-12:00", "13:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")}
ROUNDS = 3
BODY = "Hello support,\n\n" + "The printer on the third floor shows error 0x42 again. " * 20 + "\n"


def bench_calendar() -> None:
    calendar = BusinessCalendar(
        CalendarSpec.from_data("bench", time_zone="Europe/Berlin", working_hours=OFFICE, country="DE")
    )
    start = datetime(2026, 11, 27, 16, 30)
    for minutes in (240, 10_000, 1_000_000):
        calls = max(1, 20_000 // max(1, minutes // 100))
        began = time.perf_counter()
        for n in range(calls):
            calendar.add_minutes(start + timedelta(minutes=n), minutes)
        per_call = (time.perf_counter() - began) / calls
        began = time.perf_counter()
        for n in range(calls):
            _ = start + timedelta(minutes=n) + timedelta(minutes=minutes)
        plain = (time.perf_counter() - began) / calls
        print(
            f"calendar add_minutes({minutes:>9,}): {per_call * 1e6:9.1f} us/call "
            f"({per_call / plain:,.0f}x plain datetime arithmetic, {calls} calls)"
        )


def add_agents(session: Session) -> None:
    """Three agents with rw on group 'users' (every seeded queue's) and an address: alerts go to them."""
    now = datetime(2026, 1, 1)
    audit = {"create_time": now, "create_by": 1, "change_time": now, "change_by": 1}
    for user_id in (2, 3, 4):
        login = f"agent{user_id}"
        session.add(
            User(id=user_id, login=login, pw="x", first_name=login, last_name="A", valid_id=1, **audit)
        )
    session.flush()
    for user_id in (2, 3, 4):
        session.add(GroupUser(user_id=user_id, group_id=1, permission_key="rw", **audit))
        address = f"agent{user_id}@x.example"
        session.add(UserPreference(user_id=user_id, preferences_key="UserEmail", preferences_value=address))
    session.flush()


def mail(message_id: str, in_reply_to: str | None) -> bytes:
    headers = [
        "From: Jane Doe <jane@customer.example>",
        "To: support@example.org",
        "Subject: Printer broken",
        f"Message-ID: <{message_id}>",
        "Date: Wed, 25 Nov 2026 10:00:00 +0000",
        "Content-Type: text/plain; charset=utf-8",
    ]
    if in_reply_to:
        headers.append(f"In-Reply-To: <{in_reply_to}>")
    return ("\r\n".join(headers) + "\r\n\r\n" + BODY).encode()


def database(backend: str, folder: Path) -> tuple[str, str | None]:
    if backend == "sqlite":
        return f"sqlite:///{folder / 'sla.db'}", None
    name = f"sla_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}", name


def run_pipeline(
    settings: Settings, mails: int, targets: bool, clock: list[datetime]
) -> tuple[float, list[int]]:
    services = build_services(settings)
    processor = InboundProcessor(settings, services.sessions, "bench-secret", clock=lambda: clock[0])
    with services.sessions.begin() as session:
        values = (240, 120, 960) if targets else (0, 0, 0)
        session.execute(
            update(Queue).values(
                calendar_name="office" if targets else None,
                first_response_time=values[0],
                first_response_notify=80,
                update_time=values[1],
                update_notify=80,
                solution_time=values[2],
                solution_notify=80,
            )
        )
    spooled: list[int] = []
    threads: list[str] = []
    for n in range(mails):
        own = f"{uuid.uuid4().hex}@customer.example"
        reply_to = threads[n % len(threads)] if threads and n % 10 < 3 else None
        threads.append(own)
        accepted = services.intake.accept(mail(own, reply_to), InboundSource.SMTP, "a@b.example", ("s@x",))
        spooled.append(accepted.spool_id)
    began = time.perf_counter()
    ticket_ids = []
    for spool_id in spooled:
        clock[0] += timedelta(minutes=3)
        ticket_ids.append(processor.process(spool_id).ticket_id)
    elapsed = time.perf_counter() - began
    services.close()
    return elapsed, sorted({t for t in ticket_ids if t})


def run_variant(
    settings: Settings, mails: int, variant: str, clock: list[datetime]
) -> tuple[float, list[int]]:
    """One pipeline run: 'bare' without the SLA hook, 'no targets' or 'targets' on the queues."""
    if variant != "bare":
        return run_pipeline(settings, mails, variant == "targets", clock)
    hook = process_module.refresh_escalations
    process_module.refresh_escalations = lambda *args, **kwargs: None  # type: ignore[assignment]
    try:
        return run_pipeline(settings, mails, False, clock)
    finally:
        process_module.refresh_escalations = hook


def bench_database(backend: str, mails: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url, pg_name = database(backend, Path(folder))
        try:
            init_database(url)
            settings = Settings(database_url=url, secret_key="bench", fqdn="mg.example.org")
            services = build_services(settings)
            with services.sessions.begin() as session:
                add_agents(session)
                save_calendar(
                    session,
                    {
                        "name": "office",
                        "time_zone": "Europe/Berlin",
                        "working_hours": OFFICE,
                        "country": "DE",
                    },
                    datetime(2026, 1, 1),
                )
            clock = [datetime(2026, 11, 23, 8, 0)]
            run_pipeline(settings, 30, False, clock)  # warm-up: caches, connections, compiled statements
            best: dict[str, float] = {}
            ticket_ids: list[int] = []
            for _ in range(ROUNDS):  # interleaved, best of each: the machine is shared
                for variant in ("bare", "no targets", "targets"):
                    took, ticket_ids = run_variant(settings, mails, variant, clock)
                    best[variant] = min(best.get(variant, took), took)
            bare, base, with_sla = best["bare"], best["no targets"], best["targets"]
            print(
                f"{backend}: pipeline {mails / bare:7.1f} mails/s without the SLA hook, {mails / base:7.1f} "
                f"on queues without targets ({base / bare:.2f}x), {mails / with_sla:7.1f} with SLA targets "
                f"({with_sla / bare:.2f}x the time per mail)"
            )
            calendars = CalendarStore()
            began = time.perf_counter()
            with services.sessions.begin() as session:
                for ticket_id in ticket_ids:
                    refresh_escalations(session, ticket_id, clock[0], calendars)
            per_refresh = (time.perf_counter() - began) / len(ticket_ids)
            began = time.perf_counter()
            with services.sessions() as session:
                for ticket_id in ticket_ids:
                    session.get(Ticket, ticket_id)
                    session.expunge_all()
            per_read = (time.perf_counter() - began) / len(ticket_ids)
            print(
                f"{backend}: refresh_escalations {per_refresh * 1e3:.2f} ms/ticket "
                f"({per_refresh / per_read:.1f}x reading the ticket row)"
            )
            with services.sessions() as session:
                latest = session.scalar(
                    select(Ticket.escalation_solution_time).order_by(Ticket.id.desc()).limit(1)
                )
            due = datetime.fromtimestamp((latest or 0) + 86400 * 7)
            began = time.perf_counter()
            with services.sessions.begin() as session:
                alerts = check_escalations(session, due, limit=100_000)
            took = time.perf_counter() - began
            rate = len(alerts) / took
            print(f"{backend}: check_escalations {len(alerts)} alerts in {took:.2f} s ({rate:.0f}/s)")
            services.close()
        finally:
            if pg_name:
                with psycopg.connect(ADMIN, autocommit=True) as conn:
                    conn.execute(f"DROP DATABASE IF EXISTS {pg_name} WITH (FORCE)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mails", type=int, default=300)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args()
    bench_calendar()
    for backend in ("sqlite", "postgresql") if args.backend == "both" else (args.backend,):
        bench_database(backend, args.mails)


if __name__ == "__main__":
    main()
