"""`mailgate sla calendar|refresh|check` and the periodic SLA thread, on both backends."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from mailgate.cli import cli
from mailgate.pipeline.process import InboundProcessor
from mailgate.services import build_services
from mailgate.settings import Settings
from mailgate.sla.job import check_once, sla_check_thread
from schema import InboundSource, Queue, Ticket, TicketHistory, TicketHistoryType
from tests.integration.pipeline.support import mail

pytestmark = pytest.mark.integration

BERLIN = ZoneInfo("Europe/Berlin")


def invoke(url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        cli, list(args), env={"MAILGATE_DATABASE_URL": url, "MAILGATE_SECRET_KEY": "k"}
    )
    return result.exit_code, result.output


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN).astimezone(UTC).replace(tzinfo=None)  # type: ignore[misc]


def test_calendar_set_list_and_refusal(migrated_url: str) -> None:
    code, out = invoke(
        migrated_url, "sla", "calendar", "set", "office", "--tz", "Europe/Berlin",
        "--hours", "mon-fri=09:00-12:00,13:00-17:00", "--hours", "sat=10:00-12:00",
        "--country", "DE", "--holiday", "2026-11-30", "--holiday", "12-31",
    )  # fmt: skip
    assert code == 0, out
    code, out = invoke(migrated_url, "sla", "calendar", "list")
    stored = [json.loads(line) for line in out.splitlines()]
    assert stored == [
        {
            "name": "office",
            "time_zone": "Europe/Berlin",
            "working_hours": {
                **{day: ["09:00-12:00", "13:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")},
                "sat": ["10:00-12:00"],
            },
            "country": "DE",
            "subdivision": None,
            "holidays": ["2026-11-30", "12-31"],
        }
    ]
    code, out = invoke(
        migrated_url, "sla", "calendar", "set", "bad", "--tz", "Mars/Base", "--hours", "mon=09:00-17:00"
    )
    assert code != 0 and "unknown time zone" in out
    assert "bad" not in invoke(migrated_url, "sla", "calendar", "list")[1]


def test_refresh_and_check_commands(migrated_url: str) -> None:
    assert (
        invoke(
            migrated_url,
            "sla",
            "calendar",
            "set",
            "cli",
            "--tz",
            "Europe/Berlin",
            "--hours",
            "mon-fri=09:00-17:00",
        )[0]
        == 0
    )
    settings = Settings(database_url=migrated_url, secret_key="k", fqdn="mg.example.org")
    services = build_services(settings)
    try:
        processor = InboundProcessor(settings, services.sessions, "k", clock=lambda: utc(2026, 11, 27, 16, 0))
        accepted = services.intake.accept(
            mail(subject="CLI"), InboundSource.SMTP, "a@b.example", ("s@x.example",)
        )
        ticket_id = processor.process(accepted.spool_id).ticket_id
        assert ticket_id is not None
        # the queue gets its targets only now: refresh computes the columns of the open tickets
        with services.sessions.begin() as session:
            session.execute(
                update(Queue).values(calendar_name="cli", first_response_time=120, first_response_notify=50)
            )
        code, out = invoke(migrated_url, "sla", "refresh")
        assert code == 0 and "tickets refreshed" in out
        with services.sessions() as session:
            # created Friday 16:00, 2 h: Friday 16-17 and Monday 09-10
            deadline = int(datetime(2026, 11, 30, 10, 0, tzinfo=BERLIN).timestamp())
            assert session.get_one(Ticket, ticket_id).escalation_response_time == deadline
        code, out = invoke(migrated_url, "sla", "check", "--at", "2026-11-30T08:00:00+01:00")
        assert code == 0 and f"ticket {ticket_id}: response warn" in out
        code, out = invoke(migrated_url, "sla", "check", "--at", "2026-11-30T08:30:00")  # UTC: 09:30 Berlin
        assert f"ticket {ticket_id}:" not in out
        code, out = invoke(migrated_url, "sla", "check", "--at", "2026-11-30T09:00:00")
        assert f"ticket {ticket_id}: response escalate" in out
    finally:
        services.close()


def test_periodic_thread_alerts_once(migrated_url: str) -> None:
    settings = Settings(database_url=migrated_url, secret_key="k", fqdn="mg.example.org")
    services = build_services(settings)
    try:
        with services.sessions.begin() as session:
            session.execute(
                update(Queue).values(calendar_name=None, first_response_time=60, first_response_notify=0)
            )
        created = datetime(2026, 12, 2, 9, 0)  # Wednesday, Znuny's default calendar (UTC, 08-21)
        processor = InboundProcessor(settings, services.sessions, "k", clock=lambda: created)
        accepted = services.intake.accept(
            mail(subject="Thread"), InboundSource.SMTP, "a@b.example", ("s@x.example",)
        )
        ticket_id = processor.process(accepted.spool_id).ticket_id
        starts = select(TicketHistory.id).join(
            TicketHistoryType, TicketHistoryType.id == TicketHistory.history_type_id
        )
        starts = starts.where(
            TicketHistory.ticket_id == ticket_id, TicketHistoryType.name == "EscalationResponseTimeStart"
        )
        with sla_check_thread(services.sessions, every=0.02, clock=lambda: datetime(2026, 12, 2, 10, 0)):
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                with services.sessions() as session:
                    if session.scalars(starts).all():
                        break
                time.sleep(0.02)
            time.sleep(0.2)  # several more rounds
        with services.sessions() as session:
            assert len(session.scalars(starts).all()) == 1
    finally:
        services.close()


def test_concurrent_checks_alert_each_ticket_once(migrated_url: str, backend: str) -> None:
    settings = Settings(database_url=migrated_url, secret_key="k", fqdn="mg.example.org")
    services = build_services(settings)
    try:
        with services.sessions.begin() as session:
            session.execute(
                update(Queue).values(calendar_name=None, first_response_time=30, first_response_notify=0)
            )
        created = datetime(2026, 12, 9, 9, 0)  # Wednesday, Znuny's default calendar
        processor = InboundProcessor(settings, services.sessions, "k", clock=lambda: created)
        ids = []
        for n in range(20):
            raw = mail(subject=f"Race {n}")
            accepted = services.intake.accept(raw, InboundSource.SMTP, "a@b.example", ("s@x.example",))
            ids.append(processor.process(accepted.spool_id).ticket_id)
        results: list[list[int]] = []
        barrier = threading.Barrier(4)

        errors: list[BaseException] = []

        def run() -> None:
            barrier.wait()
            try:
                alerts = check_once(services.sessions, datetime(2026, 12, 9, 12, 0))
            except BaseException as exc:  # reported below: a checker must never fail on a busy database
                errors.append(exc)
                return
            results.append([a.ticket_id for a in alerts if a.ticket_id in ids])

        threads = [threading.Thread(target=run) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert errors == []
        alerted = sorted(ticket for found in results for ticket in found)
        assert alerted == sorted(ids), backend
        with services.sessions() as session:
            starts = session.scalars(
                select(TicketHistory.ticket_id)
                .join(TicketHistoryType, TicketHistoryType.id == TicketHistory.history_type_id)
                .where(
                    TicketHistory.ticket_id.in_(ids), TicketHistoryType.name == "EscalationResponseTimeStart"
                )
            ).all()
        assert sorted(starts) == sorted(ids)
    finally:
        services.close()
