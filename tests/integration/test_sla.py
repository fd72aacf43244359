"""SLA escalations end to end with an injected clock: mail in through the pipeline, deadlines on the
ticket in business time (weekend, holiday, pending pause), alerts exactly once per deadline."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from mailgate.pipeline.process import InboundProcessor
from mailgate.services import Services, build_services
from mailgate.settings import Settings
from mailgate.sla.alerts import check_escalations
from mailgate.sla.calendars import save_calendar
from mailgate.sla.escalation import refresh_escalations
from mailgate.tickets.reply import reply
from notifier.compose import compose
from notifier.render import RenderContext, RenderedMail, Suppress
from notifier.renderers import build_registry
from schema import (
    Article,
    GroupUser,
    InboundSource,
    OutboxMail,
    Queue,
    Ticket,
    TicketHistory,
    TicketHistoryType,
    TicketState,
    User,
    UserPreference,
)
from schema.sla import SlaCalendar, SlaClock
from tests.integration.pipeline.support import mail, new_id

pytestmark = pytest.mark.integration

BERLIN = ZoneInfo("Europe/Berlin")
OFFICE = {day: ["09:00-12:00", "13:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")}


def berlin(*args: int) -> datetime:
    """A Berlin wall-clock time as the naive UTC datetime the clock and Znuny's rows use."""
    return datetime(*args, tzinfo=BERLIN).astimezone(UTC).replace(tzinfo=None)  # type: ignore[misc]


def epoch(*args: int) -> int:
    return int(datetime(*args, tzinfo=BERLIN).timestamp())  # type: ignore[misc]


@dataclass
class Clock:
    now: datetime = datetime(2026, 1, 1)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Desk:
    services: Services
    processor: InboundProcessor
    clock: Clock

    def deliver(self, raw: bytes) -> int:
        accepted = self.services.intake.accept(
            raw, InboundSource.SMTP, "x@customer.example", ("support@example.org",)
        )
        processed = self.processor.process(accepted.spool_id)
        assert processed.ticket_id is not None, processed
        return processed.ticket_id

    def ticket(self, ticket_id: int) -> Ticket:
        with self.services.sessions() as session:
            ticket = session.get_one(Ticket, ticket_id)
            session.expunge(ticket)
            return ticket

    def check(self, at: datetime) -> list[tuple[int, str, str]]:
        with self.services.sessions.begin() as session:
            return [(a.ticket_id, a.target, a.event) for a in check_escalations(session, at)]


@pytest.fixture(scope="module")
def desk(schema_url: str) -> Iterator[Desk]:
    settings = Settings(database_url=schema_url, secret_key="test-secret", fqdn="mg.example.org")
    services = build_services(settings)
    clock = Clock()
    processor = InboundProcessor(settings, services.sessions, "test-secret", clock=clock)
    with services.sessions.begin() as session:
        _agents(session)
    yield Desk(services, processor, clock)
    services.close()


def _agents(session: Session) -> None:
    """Agents of group 'users' (every seeded queue's group): two with rw and an address, others not."""
    now = datetime(2026, 1, 1)
    audit = {"create_time": now, "create_by": 1, "change_time": now, "change_by": 1}
    people = [(2, "anna", 1, "rw"), (3, "ben", 1, "rw"), (4, "carl", 1, "ro"), (5, "dora", 2, "rw")]
    for user_id, login, valid, permission in people:
        session.execute(
            insert(User).values(
                id=user_id, login=login, pw="x", first_name=login, last_name="Agent", valid_id=valid, **audit
            )
        )
        session.execute(
            insert(GroupUser).values(user_id=user_id, group_id=1, permission_key=permission, **audit)
        )
        session.execute(
            insert(UserPreference).values(
                user_id=user_id, preferences_key="UserEmail", preferences_value=f"{login}@helpdesk.example"
            )
        )


def _configure(
    desk: Desk,
    *,
    response: int = 0,
    update_time: int = 0,
    solution: int = 0,
    notify: int = 0,
    holidays: list[str] | None = None,
) -> None:
    """Every queue gets these targets on the 'office' calendar (Berlin, DE holidays + given dates)."""
    with desk.services.sessions.begin() as session:
        session.execute(delete(SlaCalendar))
        spec = {"name": "office", "time_zone": "Europe/Berlin", "working_hours": OFFICE, "country": "DE"}
        save_calendar(session, {**spec, "holidays": holidays or []}, datetime(2026, 1, 1))
        session.execute(
            update(Queue).values(
                calendar_name="office",
                first_response_time=response,
                first_response_notify=notify,
                update_time=update_time,
                update_notify=notify,
                solution_time=solution,
                solution_notify=notify,
            )
        )


def _new_ticket(desk: Desk, at: datetime, message_id: str | None = None) -> int:
    desk.clock.now = at
    return desk.deliver(mail(subject=f"Help {new_id()}", message_id=message_id))


def test_friday_evening_ticket_escalates_on_monday_at_the_right_minute(desk: Desk) -> None:
    _configure(desk, response=240)
    ticket_id = _new_ticket(desk, berlin(2026, 11, 27, 16, 30))  # Friday; 30 min left that day
    ticket = desk.ticket(ticket_id)
    # 30 min Friday, then Monday 09:00-12:00 (180) and 13:00-13:30 (30): Monday 13:30 Berlin
    assert ticket.escalation_response_time == epoch(2026, 11, 30, 13, 30)
    assert ticket.escalation_time == ticket.escalation_response_time
    assert (ticket.escalation_update_time, ticket.escalation_solution_time) == (0, 0)


def test_a_monday_holiday_moves_the_escalation_to_tuesday(desk: Desk) -> None:
    _configure(desk, response=240, holidays=["2026-11-30"])
    ticket_id = _new_ticket(desk, berlin(2026, 11, 27, 17, 0))  # Friday after hours
    assert desk.ticket(ticket_id).escalation_response_time == epoch(2026, 12, 1, 14, 0)


def test_christmas_holidays_of_the_country_are_skipped(desk: Desk) -> None:
    _configure(desk, response=120)
    ticket_id = _new_ticket(desk, berlin(2026, 12, 24, 16, 0))  # 24 Dec is a working day in DE
    # 60 min on the 24th; 25th/26th are holidays (Fri/Sat), 27th Sunday: Monday 28th 10:00
    assert desk.ticket(ticket_id).escalation_response_time == epoch(2026, 12, 28, 10, 0)


def test_warning_and_escalation_are_sent_once_each(desk: Desk) -> None:
    _configure(desk, response=240, notify=50)
    ticket_id = _new_ticket(desk, berlin(2026, 11, 27, 17, 0))
    deadline = epoch(2026, 11, 30, 14, 0)  # Monday: 09-12 and 13-14
    assert desk.ticket(ticket_id).escalation_response_time == deadline
    mine = lambda found: [a for a in found if a[0] == ticket_id]  # noqa: E731
    assert mine(desk.check(berlin(2026, 11, 30, 10, 59))) == []
    assert mine(desk.check(berlin(2026, 11, 30, 11, 0))) == [(ticket_id, "response", "warn")]  # 50 %: 2 h
    for minute in range(1, 50, 7):
        assert mine(desk.check(berlin(2026, 11, 30, 11, minute))) == []
    assert mine(desk.check(berlin(2026, 11, 30, 13, 59))) == []
    assert mine(desk.check(berlin(2026, 11, 30, 14, 0))) == [(ticket_id, "response", "escalate")]
    for hour in (14, 15, 18, 23):
        assert mine(desk.check(berlin(2026, 11, 30, hour, 30))) == []
    with desk.services.sessions() as session:
        rows = session.scalars(
            select(OutboxMail).where(OutboxMail.ticket_id == ticket_id).order_by(OutboxMail.id)
        ).all()
        assert [(r.kind, r.dedupe_key) for r in rows] == [
            ("sla_alert", f"sla:{ticket_id}:response:warn:{deadline}"),
            ("sla_alert", f"sla:{ticket_id}:response:escalate:{deadline}"),
        ]
        # rw agents with an address, valid only: not carl (ro), not dora (invalid)
        assert json.loads(rows[0].recipients) == ["anna@helpdesk.example", "ben@helpdesk.example"]
        assert json.loads(rows[1].params) == {"target": "response", "event": "escalate", "deadline": deadline}
        history = session.execute(
            select(TicketHistoryType.name, TicketHistory.name)
            .join(TicketHistoryType, TicketHistoryType.id == TicketHistory.history_type_id)
            .where(TicketHistory.ticket_id == ticket_id, TicketHistoryType.name.like("Escalation%"))
            .order_by(TicketHistory.id)
        ).all()
        assert [tuple(row) for row in history] == [
            ("EscalationResponseTimeNotifyBefore", "%%EscalationResponseTimeNotifyBefore%%triggered"),
            ("EscalationResponseTimeStart", "%%EscalationResponseTimeStart%%triggered"),
        ]
    # the agent's answer ends the escalation: Znuny's Stop row, and no further alert
    assert _agent_answer(desk, ticket_id, berlin(2026, 11, 30, 14, 30)).escalation_time == 0
    assert [a for a in desk.check(berlin(2026, 12, 1, 9, 0)) if a[0] == ticket_id] == []
    with desk.services.sessions() as session:
        names = session.scalars(
            select(TicketHistoryType.name)
            .join(TicketHistory, TicketHistory.history_type_id == TicketHistoryType.id)
            .where(TicketHistory.ticket_id == ticket_id, TicketHistoryType.name.like("Escalation%"))
            .order_by(TicketHistory.id)
        ).all()
        assert names[-1] == "EscalationResponseTimeStop" and len(names) == 3


def test_a_late_check_sends_only_the_escalation(desk: Desk) -> None:
    _configure(desk, response=60, notify=80)
    ticket_id = _new_ticket(desk, berlin(2026, 12, 2, 9, 0))
    found = [a for a in desk.check(berlin(2026, 12, 2, 15, 0)) if a[0] == ticket_id]
    assert found == [(ticket_id, "response", "escalate")]
    assert [a for a in desk.check(berlin(2026, 12, 2, 16, 0)) if a[0] == ticket_id] == []


def _set_state(desk: Desk, ticket_id: int, state: str, at: datetime) -> Ticket:
    with desk.services.sessions.begin() as session:
        state_id = session.scalar(select(TicketState.id).where(TicketState.name == state))
        session.execute(update(Ticket).where(Ticket.id == ticket_id).values(ticket_state_id=state_id))
        refresh_escalations(session, ticket_id, at)
    return desk.ticket(ticket_id)


def test_pending_pauses_the_clock(desk: Desk) -> None:
    _configure(desk, response=240, solution=600)
    ticket_id = _new_ticket(desk, berlin(2026, 12, 7, 9, 0))  # Monday
    ticket = desk.ticket(ticket_id)
    assert ticket.escalation_response_time == epoch(2026, 12, 7, 14, 0)
    assert ticket.escalation_solution_time == epoch(2026, 12, 8, 12, 0)  # 7 h Monday + 3 h Tuesday
    paused = _set_state(desk, ticket_id, "pending reminder", berlin(2026, 12, 7, 10, 0))
    assert (paused.escalation_response_time, paused.escalation_solution_time, paused.escalation_time) == (
        0,
        0,
        0,
    )
    assert all(alert[0] != ticket_id for alert in desk.check(berlin(2026, 12, 7, 15, 0)))
    # open again at 15:00: 1 h was used, 3 h are left: 15:00-17:00 and Tuesday 09:00-10:00
    resumed = _set_state(desk, ticket_id, "open", berlin(2026, 12, 7, 15, 0))
    assert resumed.escalation_response_time == epoch(2026, 12, 8, 10, 0)
    # the solution target is pushed by the same 4 business hours (10-12, 13-15): Tuesday 12:00 -> 17:00
    assert resumed.escalation_solution_time == epoch(2026, 12, 8, 17, 0)
    assert resumed.escalation_time == resumed.escalation_response_time
    # a pause that begins after a deadline passed does not move it
    _set_state(desk, ticket_id, "pending auto close+", berlin(2026, 12, 11, 16, 0))
    again = _set_state(desk, ticket_id, "open", berlin(2026, 12, 14, 9, 0))
    assert again.escalation_response_time == epoch(2026, 12, 8, 10, 0)


def test_closing_ends_every_target_and_reopening_keeps_the_solution_met(desk: Desk) -> None:
    _configure(desk, response=240, solution=600)
    ticket_id = _new_ticket(desk, berlin(2026, 12, 16, 9, 0))
    closed = _set_state(desk, ticket_id, "closed successful", berlin(2026, 12, 16, 11, 0))
    assert (closed.escalation_response_time, closed.escalation_solution_time, closed.escalation_time) == (
        0,
        0,
        0,
    )
    reopened = _set_state(desk, ticket_id, "open", berlin(2026, 12, 17, 9, 0))
    assert reopened.escalation_solution_time == 0  # Znuny: solved once is solved
    assert reopened.escalation_response_time == epoch(2026, 12, 17, 11, 0)  # 2 h used before closing


def _agent_answer(desk: Desk, ticket_id: int, at: datetime) -> Ticket:
    with desk.services.sessions.begin() as session:
        audit = {"create_time": at, "create_by": 2, "change_time": at, "change_by": 2}
        session.execute(
            insert(Article).values(
                ticket_id=ticket_id,
                article_sender_type_id=1,  # agent
                communication_channel_id=1,
                is_visible_for_customer=1,
                search_index_needs_rebuild=0,
                **audit,
            )
        )
        refresh_escalations(session, ticket_id, at)
    return desk.ticket(ticket_id)


def test_first_response_stops_and_the_update_clock_follows_contacts(desk: Desk) -> None:
    _configure(desk, response=240, update_time=120)
    ticket_id = _new_ticket(desk, berlin(2026, 12, 9, 9, 0))  # Wednesday
    ticket = desk.ticket(ticket_id)
    assert ticket.escalation_response_time == epoch(2026, 12, 9, 14, 0)
    assert ticket.escalation_update_time == epoch(2026, 12, 9, 11, 0)
    answered = _agent_answer(desk, ticket_id, berlin(2026, 12, 9, 10, 0))
    assert answered.escalation_response_time == 0
    assert answered.escalation_update_time == epoch(2026, 12, 9, 12, 0)  # from the agent's answer
    assert answered.escalation_time == answered.escalation_update_time


@pytest.mark.parametrize(
    "auto_header",
    ["Auto-Submitted: auto-replied", "X-Autoreply: yes", "Precedence: auto_reply"],
)
def test_out_of_office_reply_does_not_reset_the_update_time(desk: Desk, auto_header: str) -> None:
    _configure(desk, update_time=120)
    first = new_id()
    ticket_id = _new_ticket(desk, berlin(2026, 12, 9, 9, 0), message_id=first)
    assert _agent_answer(desk, ticket_id, berlin(2026, 12, 9, 10, 0)).escalation_update_time == epoch(
        2026, 12, 9, 12, 0
    )
    desk.clock.now = berlin(2026, 12, 9, 10, 30)
    ooo = mail(subject="Out of office: Help", body="I am away.", in_reply_to=first, extra=auto_header)
    assert desk.deliver(ooo) == ticket_id
    assert desk.ticket(ticket_id).escalation_update_time == epoch(2026, 12, 9, 12, 0)
    # the customer's real answer does start the clock: 11:00 + 2 h over lunch = 14:00
    desk.clock.now = berlin(2026, 12, 9, 11, 0)
    assert desk.deliver(mail(subject="Re: Help", in_reply_to=first)) == ticket_id
    assert desk.ticket(ticket_id).escalation_update_time == epoch(2026, 12, 9, 14, 0)
    # and more customer mail before an answer does not restart it (Znuny: the oldest unanswered counts)
    desk.clock.now = berlin(2026, 12, 9, 11, 30)
    assert desk.deliver(mail(subject="Re: Help", body="Any news?", in_reply_to=first)) == ticket_id
    assert desk.ticket(ticket_id).escalation_update_time == epoch(2026, 12, 9, 14, 0)


def test_queues_without_targets_cost_no_clock(desk: Desk) -> None:
    _configure(desk)
    ticket_id = _new_ticket(desk, berlin(2026, 12, 9, 9, 0))
    ticket = desk.ticket(ticket_id)
    assert (ticket.escalation_time, ticket.escalation_response_time) == (0, 0)
    with desk.services.sessions() as session:
        assert session.get(SlaClock, ticket_id) is None


def test_alert_renders_to_the_queue_agents_and_is_dropped_once_answered(desk: Desk) -> None:
    _configure(desk, response=60, notify=50)
    ticket_id = _new_ticket(desk, berlin(2026, 12, 21, 9, 0))  # Monday
    at = berlin(2026, 12, 21, 10, 0)
    assert [a for a in desk.check(at) if a[0] == ticket_id] == [(ticket_id, "response", "escalate")]
    ctx = RenderContext(fqdn="mg.example.org", system_id="10", secret="test-secret", clock=lambda: at)
    renderer = build_registry().get("sla_alert")
    with desk.services.sessions() as session:
        row = session.scalars(select(OutboxMail).where(OutboxMail.ticket_id == ticket_id)).one()
        rendered = renderer.render(session, row, ctx)
        assert isinstance(rendered, RenderedMail)
        assert [a.email for a in rendered.to] == ["anna@helpdesk.example", "ben@helpdesk.example"]
        assert rendered.subject.startswith(
            "SLA escalation: first response overdue since 2026-12-21 10:00 CET"
        )
        ticket = session.get_one(Ticket, ticket_id)
        raw = bytes(compose(rendered, ctx, message_id="<sla-test@mg.example.org>", now=at))
    head = raw.split(b"\r\n\r\n", 1)[0].decode()
    assert "Auto-Submitted: auto-generated" in head and "X-Mailgate-SLA: response escalate" in head
    assert f"Ticket#{ticket.tn}" in head
    _agent_answer(desk, ticket_id, berlin(2026, 12, 21, 10, 5))
    with desk.services.sessions() as session:
        row = session.scalars(select(OutboxMail).where(OutboxMail.ticket_id == ticket_id)).one()
        assert isinstance(renderer.render(session, row, ctx), Suppress)


def test_the_reply_service_meets_the_first_response(desk: Desk) -> None:
    _configure(desk, response=240, update_time=120)
    ticket_id = _new_ticket(desk, berlin(2026, 12, 10, 9, 0))  # Thursday
    assert desk.ticket(ticket_id).escalation_response_time == epoch(2026, 12, 10, 14, 0)
    with desk.services.sessions.begin() as session:
        reply(
            session,
            ticket_id,
            2,
            "Here is the answer.",
            now=berlin(2026, 12, 10, 9, 30),
            secret="s",
            fqdn="mg.example.org",
        )
    answered = desk.ticket(ticket_id)
    assert answered.escalation_response_time == 0
    assert answered.escalation_update_time == epoch(2026, 12, 10, 11, 30)
    with desk.services.sessions.begin() as session:  # an internal note is no answer to the customer
        reply(
            session,
            ticket_id,
            2,
            "Note to self.",
            internal=True,
            now=berlin(2026, 12, 10, 10, 0),
            secret="s",
            fqdn="mg.example.org",
        )
    assert desk.ticket(ticket_id).escalation_update_time == epoch(2026, 12, 10, 11, 30)
