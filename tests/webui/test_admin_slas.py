"""Admin SLAs and business calendars: saved as the SLA clock reads them; bad calendars are refused."""

from __future__ import annotations

import json
import uuid
from datetime import datetime

import pytest
from sqlalchemy import select

from mailgate.sla.calendars import CalendarStore
from schema import Sla, SlaCalendar
from tests.webui.admin_support import post_form, sign_in_admin
from tests.webui.support import Client, WebEnv

pytestmark = pytest.mark.integration


def calendar_form(name: str, **extra: str) -> dict[str, str]:
    return {
        "name": name,
        "time_zone": "Europe/Berlin",
        "day_mon": "08:00-12:00, 13:00-17:00",
        "day_tue": "08:00-17:00",
        "country": "DE",
        "subdivision": "BY",
        "holidays": "2026-12-28\n12-31\n",
        **extra,
    }


def test_a_calendar_is_saved_and_the_sla_clock_can_use_it(web: WebEnv, client: Client) -> None:
    sign_in_admin(web, client)
    name = f"office-{uuid.uuid4().hex[:6]}"
    assert post_form(client, "/admin/calendars/new", calendar_form(name)).status_code == 302
    with web.services.sessions() as session:
        row = session.scalars(select(SlaCalendar).where(SlaCalendar.name == name)).one()
        assert json.loads(row.working_hours) == {
            "mon": ["08:00-12:00", "13:00-17:00"],
            "tue": ["08:00-17:00"],
        }
        assert json.loads(row.holidays) == ["2026-12-28", "12-31"] and (row.country, row.subdivision) == (
            "DE",
            "BY",
        )
        calendar = CalendarStore().get(session, name)
    # Monday 30 Nov 2026 11:00 Berlin (10:00 UTC) + 2 business hours = 14:00 Berlin (lunch break skipped)
    due = calendar.add_minutes(datetime(2026, 11, 30, 10, 0), 120)
    assert due.replace(tzinfo=None) == datetime(2026, 11, 30, 13, 0)
    page = client.get(f"/admin/calendars/{row.id}").get_data(as_text=True)
    assert 'value="08:00-12:00, 13:00-17:00"' in page and "12-31" in page
    edited = calendar_form(name, day_mon="", day_tue="", day_fri="09:00-15:00", holidays="", country="")
    assert post_form(client, f"/admin/calendars/{row.id}", edited).status_code == 302
    with web.services.sessions() as session:
        row = session.get_one(SlaCalendar, row.id)
        assert json.loads(row.working_hours) == {"fri": ["09:00-15:00"]} and row.country is None


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"day_mon": "17:00-08:00"}, "empty interval"),
        ({"day_mon": "8 to 12"}, "bad interval"),
        ({"time_zone": "Mars/Olympus"}, "unknown time zone"),
        ({"holidays": "31-31"}, "bad holiday"),
        ({"day_mon": "", "day_tue": ""}, "no working hours"),
    ],
)
def test_a_calendar_the_clock_cannot_build_is_refused(
    web: WebEnv, client: Client, change: dict[str, str], problem: str
) -> None:
    sign_in_admin(web, client)
    name = f"bad-{uuid.uuid4().hex[:6]}"
    response = post_form(client, "/admin/calendars/new", calendar_form(name, **change))
    assert response.status_code == 400 and problem in response.get_data(as_text=True)
    with web.services.sessions() as session:
        assert session.scalars(select(SlaCalendar).where(SlaCalendar.name == name)).first() is None


def test_an_sla_is_saved_with_its_calendar(web: WebEnv, client: Client) -> None:
    login = sign_in_admin(web, client)
    calendar = f"cal-{uuid.uuid4().hex[:6]}"
    assert post_form(client, "/admin/calendars/new", calendar_form(calendar)).status_code == 302
    name = f"Gold {uuid.uuid4().hex[:6]}"
    data = {
        "name": name,
        "calendar_name": calendar,
        "first_response_time": "60",
        "first_response_notify": "75",
        "update_time": "240",
        "solution_time": "1440",
        "valid_id": "1",
    }
    assert post_form(client, "/admin/slas/new", data).status_code == 302
    with web.services.sessions() as session:
        sla = session.scalars(select(Sla).where(Sla.name == name)).one()
        assert (sla.calendar_name, sla.first_response_time, sla.first_response_notify, sla.solution_time) == (
            calendar,
            60,
            75,
            1440,
        )
        assert sla.create_by == web.user_id(login)
    assert post_form(client, "/admin/slas/new", {**data, "name": name.upper()}).status_code == 400
    assert post_form(client, "/admin/slas/new", {**data, "name": "x", "update_time": ""}).status_code == 400
    assert post_form(client, f"/admin/slas/{sla.id}", {**data, "solution_time": "2880"}).status_code == 302
    with web.services.sessions() as session:
        assert session.get_one(Sla, sla.id).solution_time == 2880
    assert name in client.get("/admin/slas/").get_data(as_text=True)
