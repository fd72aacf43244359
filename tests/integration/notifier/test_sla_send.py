"""SLA alerts through the real sender to an aiosmtpd sink: to the queue's agents, with the ticket hook."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select, update

from mailgate.pipeline.process import InboundProcessor
from mailgate.sla.alerts import check_escalations
from mailgate.sla.calendars import save_calendar
from schema import GroupUser, InboundSource, OutboxMail, Queue, Ticket, User, UserPreference
from tests.integration.notifier.send_support import SECRET, SUPPORT, Helpdesk, customer_mail, start_helpdesk

pytestmark = pytest.mark.integration

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN).astimezone(UTC).replace(tzinfo=None)  # type: ignore[misc]


@pytest.fixture
def helpdesk(migrated_url: str) -> Iterator[Helpdesk]:
    desk = start_helpdesk(migrated_url, berlin(2026, 12, 4, 16, 0))  # a Friday
    with desk.services.sessions.begin() as session:
        audit = {"create_time": desk.clock.now, "create_by": 1, "change_time": desk.clock.now, "change_by": 1}
        if session.get(User, 7) is None:
            session.execute(
                insert(User).values(
                    id=7, login="sla-agent", pw="x", first_name="Sam", last_name="Agent", valid_id=1, **audit
                )
            )
            session.execute(insert(GroupUser).values(user_id=7, group_id=1, permission_key="rw", **audit))
            session.execute(
                insert(UserPreference).values(
                    user_id=7, preferences_key="UserEmail", preferences_value="sam@helpdesk.example"
                )
            )
        hours = {day: ["09:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")}
        spec = {"name": "send-test", "time_zone": "Europe/Berlin", "working_hours": hours, "country": "DE"}
        save_calendar(session, spec, desk.clock.now)
        session.execute(
            update(Queue).values(calendar_name="send-test", first_response_time=120, first_response_notify=75)
        )
    yield desk
    desk.close()


def test_warning_and_escalation_reach_the_agents_once(helpdesk: Helpdesk) -> None:
    processor = InboundProcessor(
        helpdesk.services.settings, helpdesk.services.sessions, SECRET, clock=helpdesk.clock
    )
    raw, _ = customer_mail(subject="Invoice missing")
    accepted = helpdesk.services.intake.accept(raw, InboundSource.SMTP, "jane@customer.example", (SUPPORT,))
    ticket_id = processor.process(accepted.spool_id).ticket_id
    assert ticket_id is not None
    # Friday 16:00 + 2 business hours: 16-17 Friday, 09-10 Monday; the warning at 75 %: Monday 09:30
    sent: list[int] = []
    for at in (
        berlin(2026, 12, 7, 9, 29),
        berlin(2026, 12, 7, 9, 30),
        berlin(2026, 12, 7, 9, 45),
        berlin(2026, 12, 7, 10, 0),
    ):
        helpdesk.clock.now = at
        with helpdesk.services.sessions.begin() as session:
            sent += [
                a.outbox_id
                for a in check_escalations(session, at)
                if a.ticket_id == ticket_id and a.outbox_id
            ]
    assert len(sent) == 2
    for outbox_id in sent:
        assert helpdesk.sender.send(outbox_id) == "sent"
        assert helpdesk.sender.send(outbox_id) is None  # sent once
    mails = [item for item in helpdesk.sink.received if "sam@helpdesk.example" in item.rcpt_tos]
    assert len(mails) == 2 and all("jane@customer.example" not in item.rcpt_tos for item in mails)
    with helpdesk.services.sessions() as session:
        tn = session.get_one(Ticket, ticket_id).tn
        keys = session.scalars(
            select(OutboxMail.dedupe_key).where(OutboxMail.id.in_(sent)).order_by(OutboxMail.id)
        ).all()
    assert [key.split(":")[3] for key in keys] == ["warn", "escalate"]
    warning, escalation = (item.message for item in mails)
    for message in (warning, escalation):
        assert f"Ticket#{tn}" in message["Subject"]
        assert message["Auto-Submitted"] == "auto-generated"
        assert SUPPORT in message["From"]
    assert "SLA warning: first response due 2026-12-07 10:00 CET" in warning["Subject"]
    assert "SLA escalation: first response overdue since 2026-12-07 10:00 CET" in escalation["Subject"]
    assert "missed its first response target" in escalation.get_content()
