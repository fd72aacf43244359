"""Auto-replies and notifications on a PostgreSQL database built by Znuny's own DDL, mailgate attached."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest

from mailgate.initdb import InitMode, init_database
from tests.integration.notifier.autoreply_support import Outbound, mail, start_outbound
from tests.support.znuny import load_znuny, require_znuny_files

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def out(pg_url_factory: Callable[[], str]) -> Iterator[Outbound]:
    require_znuny_files()
    url = pg_url_factory()
    load_znuny(url)  # personal_queues, user_preferences, customer_preferences come from Znuny itself
    assert init_database(url).mode is InitMode.ATTACH
    started = start_outbound(url)
    yield started
    started.close()


def test_znuny_database_auto_reply_and_notification(out: Outbound) -> None:
    done = out.site.deliver(mail(body="Hello from a Znuny installation.\n"))
    (reply,) = out.flush()
    assert reply["Auto-Submitted"] == "auto-replied"
    assert "Thanks for your email. A new ticket has been created." in str(
        reply.get_body(("plain",)).get_content()
    )
    rows = out.site.outbox(done.ticket_id, "agent_notification")
    assert [json.loads(row.recipients) for row in rows] == [["alice@agents.example"], ["erin@agents.example"]]
    notes = out.flush("agent_notification")
    assert sorted(str(item["To"]) for item in notes) == [
        "Alice Agent <alice@agents.example>",
        "Erin Agent <erin@agents.example>",
    ]
    assert ("SendAutoReply", "%%jane@customer.example") in out.site.history(done.ticket_id or 0)
