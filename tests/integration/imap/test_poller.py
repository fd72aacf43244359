"""The IMAP poller against a real Dovecot: batches, restarts, UIDVALIDITY changes, IDLE, dropped links."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from mailgate.database import create_engine_for, session_factory
from mailgate.errors import StorageUnavailableError
from mailgate.imap.state import ImapStateStore
from mailgate.intake import Intake
from schema.imap_state import DEFAULT_PROCESSED_FOLDER, AfterFetch
from schema.spool import InboundState
from tests.integration.imap.conftest import Mailbox, make_mail, make_poller
from tests.integration.imap.proxy import CuttingProxy

pytestmark = pytest.mark.timeout(120)


async def wait_until(condition: Callable[[], bool], timeout: float, step: float = 0.02) -> float:
    """Seconds until condition() held; fails the test after `timeout` seconds."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            pytest.fail(f"condition not met within {timeout}s")
        await asyncio.sleep(step)
    return time.monotonic() - start


def assert_each_once(box: Mailbox, mails: list[bytes]) -> None:
    rows = box.spooled()
    uids = Counter((row.imap_uidvalidity, row.imap_uid) for row in rows)
    assert all(n == 1 for n in uids.values())
    assert sorted(row.raw for row in rows) == sorted(mails)
    assert all(row.state == InboundState.RECEIVED.value for row in rows)


def test_batched_import_moves_only_after_commit(mailbox: Mailbox, executor: ThreadPoolExecutor) -> None:
    mails = [make_mail(n, "batch") for n in range(230)]
    mailbox.server.write_maildir(mailbox.user, mails)
    poller = make_poller(mailbox, executor, batch_count=50)
    asyncio.run(poller.run_once())
    assert_each_once(mailbox, mails)
    assert poller.stats.batches == 5  # ceil(230 / 50) UID FETCHes, not one per mail
    assert mailbox.count("INBOX") == 0
    assert mailbox.count(DEFAULT_PROCESSED_FOLDER) == 230
    progress = ImapStateStore(mailbox.sessions).load(mailbox.account.id)
    assert progress.last_uid == 230 and progress.uidvalidity == mailbox.spooled()[0].imap_uidvalidity


def test_restart_in_the_middle_of_a_batch(mailbox: Mailbox, executor: ThreadPoolExecutor) -> None:
    mails = [make_mail(n, "restart") for n in range(120)]
    mailbox.server.write_maildir(mailbox.user, mails)
    intake = Intake(mailbox.sessions)
    first = make_poller(mailbox, executor, intake, batch_count=100)

    async def run_until_stopped() -> None:
        task = asyncio.create_task(first.run_forever())
        loop = asyncio.get_running_loop()
        stored = 0
        lock = threading.Lock()

        def count(_spool_id: int) -> None:
            nonlocal stored
            with lock:
                stored += 1
                if stored == 30:
                    loop.call_soon_threadsafe(task.cancel)

        intake.on_stored(count)
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, 60)

    asyncio.run(run_until_stopped())
    executor.shutdown(wait=True)  # accepts already running finish, as a crashing process's commits might
    held = mailbox.spool_count()
    assert 30 <= held < 120
    assert mailbox.count("INBOX") == 120  # nothing moved: the batch was never complete
    with ThreadPoolExecutor(executor._max_workers) as second_pool:
        asyncio.run(make_poller(mailbox, second_pool).run_once())
    assert_each_once(mailbox, mails)
    assert mailbox.count("INBOX") == 0


def test_uidvalidity_change_refetches_without_new_mail(
    mailbox: Mailbox, executor: ThreadPoolExecutor
) -> None:
    store = ImapStateStore(mailbox.sessions)
    store.configure(mailbox.account.id, AfterFetch.SEEN)
    old = [make_mail(n, "uidv") for n in range(5)]
    mailbox.server.write_maildir(mailbox.user, old)
    asyncio.run(make_poller(mailbox, executor).run_once())
    before = store.load(mailbox.account.id)
    assert before.last_uid == 5 and mailbox.count("INBOX") == 5  # seen mode keeps them in place

    mailbox.server.remove_mailbox(mailbox.user)  # recreated below: a new UIDVALIDITY
    second = int(time.time())
    while int(time.time()) == second:  # Dovecot derives UIDVALIDITY from the clock's seconds
        time.sleep(0.01)
    new = [make_mail(n, "uidv-new") for n in range(2)]
    mailbox.server.write_maildir(mailbox.user, old + new)  # the same bytes again, under new UIDs
    asyncio.run(make_poller(mailbox, executor).run_once())

    after = store.load(mailbox.account.id)
    assert after.uidvalidity != before.uidvalidity and after.last_uid == 7
    rows = mailbox.spooled()
    first_copies = [row for row in rows if row.state == InboundState.RECEIVED.value]
    duplicates = [row for row in rows if row.state == InboundState.DUPLICATE.value]
    assert sorted(row.raw for row in first_copies) == sorted(old + new)
    assert len(duplicates) == 5
    by_id = {row.id: row for row in first_copies}
    assert all(by_id[row.duplicate_of].raw == row.raw for row in duplicates)  # type: ignore[index]


def test_idle_delivers_a_new_mail_within_a_second(mailbox: Mailbox, executor: ThreadPoolExecutor) -> None:
    async def scenario() -> float:
        poller = make_poller(mailbox, executor)
        task = asyncio.create_task(poller.run_forever())
        try:
            await asyncio.wait_for(poller.waiting.wait(), 20)  # the server accepted IDLE
            start = time.monotonic()
            await asyncio.to_thread(mailbox.server.deliver, mailbox.user, [make_mail(1, "idle")])
            await wait_until(lambda: mailbox.spool_count() == 1, timeout=10)
            return time.monotonic() - start
        finally:
            task.cancel()

    elapsed = asyncio.run(scenario())
    assert elapsed < 1.0, f"IDLE delivery took {elapsed:.2f}s"


def test_polling_without_idle_picks_up_new_mail(mailbox: Mailbox, executor: ThreadPoolExecutor) -> None:
    async def scenario() -> None:
        poller = make_poller(mailbox, executor, use_idle=False, poll_seconds=0.3)
        task = asyncio.create_task(poller.run_forever())
        try:
            await asyncio.wait_for(poller.waiting.wait(), 20)
            await asyncio.to_thread(
                mailbox.server.deliver, mailbox.user, [make_mail(n, "poll") for n in range(3)]
            )
            await wait_until(lambda: mailbox.spool_count() == 3 and mailbox.count("INBOX") == 0, timeout=10)
        finally:
            task.cancel()
        assert poller.stats.sessions == 1

    asyncio.run(scenario())


def test_connection_cut_mid_fetch_then_complete_import(
    mailbox: Mailbox, executor: ThreadPoolExecutor
) -> None:
    mails = [make_mail(n, "cut", body_size=6000) for n in range(300)]
    mailbox.server.write_maildir(mailbox.user, mails)

    async def scenario() -> int:
        # the first two connections are cut after 150 KB of server data: in the middle of a FETCH literal
        proxy = CuttingProxy(target_port=mailbox.server.imap_port, cut_after=150_000, cuts=2)
        await proxy.start()
        account = dataclasses.replace(mailbox.account, port=proxy.port)
        poller = make_poller(mailbox, executor)
        poller.account = account
        task = asyncio.create_task(poller.run_forever())
        try:
            await wait_until(lambda: mailbox.spool_count() == 300 and mailbox.count("INBOX") == 0, 60, 0.1)
        finally:
            task.cancel()
            await proxy.close()
        assert proxy.cut_done == 2
        return poller.stats.sessions

    sessions = asyncio.run(scenario())
    assert sessions >= 3
    assert_each_once(mailbox, mails)


def test_killed_imap_process_then_complete_import(mailbox: Mailbox, executor: ThreadPoolExecutor) -> None:
    mails = [make_mail(n, "kill", body_size=3000) for n in range(400)]
    mailbox.server.write_maildir(mailbox.user, mails)
    intake = Intake(mailbox.sessions)
    kills: list[int] = []
    stored = Counter[str]()
    lock = threading.Lock()

    def kill_at_milestones(_spool_id: int) -> None:
        with lock:
            stored["n"] += 1
            if stored["n"] in (100, 200):  # new rows only: re-fetches after a kill do not count
                kills.append(mailbox.server.kill_imap_sessions())

    intake.on_stored(kill_at_milestones)

    async def scenario() -> int:
        poller = make_poller(mailbox, executor, intake)
        task = asyncio.create_task(poller.run_forever())
        try:
            await wait_until(lambda: mailbox.spool_count() == 400 and mailbox.count("INBOX") == 0, 60, 0.1)
        finally:
            task.cancel()
        return poller.stats.sessions

    sessions = asyncio.run(scenario())
    assert len(kills) == 2 and all(kills)
    assert sessions >= 2
    assert_each_once(mailbox, mails)


def test_database_down_leaves_the_mail_untouched(mailbox: Mailbox, executor: ThreadPoolExecutor) -> None:
    mails = [make_mail(n, "dbdown") for n in range(20)]
    mailbox.server.write_maildir(mailbox.user, mails)
    unreachable = create_engine_for(
        "postgresql+psycopg://postgres@127.0.0.1:1/none", connect_args={"connect_timeout": 2}
    )
    broken = Intake(session_factory(unreachable))
    with pytest.raises(StorageUnavailableError):
        asyncio.run(make_poller(mailbox, executor, broken).run_once())
    unreachable.dispose()
    assert mailbox.spool_count() == 0
    assert mailbox.count("INBOX") == 20
    conn = mailbox.imap()
    conn.select("INBOX")
    assert conn.uid("SEARCH", "UNSEEN")[1][0].split().__len__() == 20  # not even flagged seen
    conn.logout()
    asyncio.run(make_poller(mailbox, executor).run_once())
    assert_each_once(mailbox, mails)
