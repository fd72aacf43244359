"""PostgreSQL stopped while `mailgate imap` runs: no mail is flagged or moved; all arrive once it is back."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from mailgate.commands.imap import db_threads_for
from mailgate.database import create_engine_for
from mailgate.initdb import init_database
from schema.imap_state import DEFAULT_PROCESSED_FOLDER
from tests.integration.imap.conftest import make_mail, make_poller, open_mailbox
from tests.integration.imap.dovecot import Dovecot
from tests.support.private_postgres import PrivatePostgres

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres()
    server.init()
    server.start()
    yield server
    server.remove()


async def wait_until(condition: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout}s")
        await asyncio.sleep(0.05)


def test_database_outage_defers_everything(dovecot: Dovecot, private_postgres: PrivatePostgres) -> None:
    url = private_postgres.create_database("mailgate")
    init_database(url)
    engine = create_engine_for(url)
    box = open_mailbox(dovecot, engine)
    mails = [make_mail(n, "outage") for n in range(10)]

    def unseen() -> int:
        conn = box.imap()
        try:
            conn.select("INBOX")
            return len(conn.uid("SEARCH", "UNSEEN")[1][0].split())
        finally:
            conn.logout()

    async def scenario() -> None:
        with ThreadPoolExecutor(db_threads_for(engine)) as executor:
            poller = make_poller(box, executor)
            task = asyncio.create_task(poller.run_forever())
            try:
                await asyncio.wait_for(poller.waiting.wait(), 20)
                await asyncio.to_thread(private_postgres.stop)
                await asyncio.to_thread(box.server.deliver, box.user, mails)
                await wait_until(lambda: poller.stats.errors >= 2, 30)  # tried, failed, backed off
                assert box.count("INBOX") == 10 and unseen() == 10
                assert box.count(DEFAULT_PROCESSED_FOLDER) == 0
                await asyncio.to_thread(private_postgres.start)
                await wait_until(lambda: box.count(DEFAULT_PROCESSED_FOLDER) == 10, 60)
            finally:
                task.cancel()

    try:
        asyncio.run(scenario())
        rows = box.spooled()
        assert len(rows) == 10 and len({row.imap_uid for row in rows}) == 10
        assert box.count("INBOX") == 0
    finally:
        engine.dispose()
