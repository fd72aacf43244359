"""Embedded mode under concurrent writers: intake in other processes, pipeline threads, sweeper, web action.

`mailgate run` on SQLite writes from many threads (group-commit writer, processing threads, sweeper,
web requests) while `mailgate deliver` or `mailgate import` may write from other processes. A
transaction that reads before it writes must not fail with "database is locked" (SQLITE_BUSY_SNAPSHOT,
which the busy timeout does not retry), and every accepted mail must become exactly one ticket.
"""

from __future__ import annotations

import logging
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import OperationalError

from mailgate.database import create_engine_for, read_only, session_factory
from mailgate.initdb import init_database
from mailgate.secret import installation_secret
from mailgate.services import Services, build_processor, build_services
from mailgate.settings import Settings
from mailgate.tickets.changes import set_state
from mailgate.tickets.lookups import load_lookups
from mailgate.workers.dispatch import ThreadDispatcher
from mailgate.workers.sweeper import Sweeper
from schema import Article, InboundMail, InboundSource, Ticket
from schema.pipeline import Decision
from tests.integration.pipeline.test_batches import DROP_SQL, POISON, TRIGGER_SQL

ROOT_USER = 1
PROCESS_MAILS = 25  # per writer process (as `mailgate deliver` / `mailgate import` would store them)
THREAD_MAILS = 25  # per SMTP-like thread of the running process (group commit)
WRITER = """
import sys
from mailgate.database import create_engine_for, session_factory
from mailgate.intake import Intake
from schema import InboundSource
url, tag, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
intake = Intake(session_factory(create_engine_for(url)))
for n in range(count):
    raw = (f"From: p{n}@customer.example\\r\\nTo: support@example.org\\r\\nSubject: {tag} {n}\\r\\n"
           f"Message-ID: <{tag}.{n}@customer.example>\\r\\n\\r\\nbody {n}\\r\\n").encode()
    print(intake.accept(raw, InboundSource.PIPE).spool_id, flush=True)
"""


def mail(tag: str, number: int) -> bytes:
    """A new mail (its own thread, so its own ticket)."""
    return (
        f"From: t{number}@customer.example\r\nTo: support@example.org\r\nSubject: {tag} {number}\r\n"
        f"Message-ID: <{tag}.{number}@customer.example>\r\n\r\nbody {number}\r\n"
    ).encode()


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


class WebAgent:
    """What a web action does: read the ticket (access check), then change it and commit, in a loop."""

    def __init__(self, services: Services) -> None:
        self._sessions = services.sessions
        self.errors: list[BaseException] = []
        self.changes = 0
        self.stop = threading.Event()

    def run(self) -> None:
        with self._sessions() as session:
            lookups = load_lookups(session)
        states = [lookups.state("open"), lookups.state("new")]
        while not self.stop.is_set():
            try:
                self._change_newest(states[self.changes % 2])
            except OperationalError as exc:
                self.errors.append(exc)
            time.sleep(0.02)  # a busy agent: dozens of changes a second

    def _change_newest(self, state_id: int) -> None:
        with self._sessions() as session:
            ticket_id = session.scalar(select(Ticket.id).order_by(Ticket.id.desc()).limit(1))
            if ticket_id is None:
                return
            session.get(Ticket, ticket_id)  # the view reads the ticket and its queue first
            time.sleep(0.003)  # ... and checks permissions, while the pipeline commits
            set_state(session, ticket_id, ROOT_USER, state_id, now())
            session.commit()
        self.changes += 1


def store_in_processes(url: str, tag: str, processes: int) -> list[subprocess.Popen[str]]:
    return [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, url, f"{tag}-p{n}", str(PROCESS_MAILS)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(processes)
    ]


def submit_in_threads(services: Services, tag: str, threads: int) -> list[int]:
    def one_thread(number: int) -> list[int]:
        return [
            services.intake.submit(mail(f"{tag}-t{number}", n), InboundSource.SMTP).result(60).spool_id
            for n in range(THREAD_MAILS)
        ]

    with ThreadPoolExecutor(threads) as pool:
        return [spool_id for ids in pool.map(one_thread, range(threads)) for spool_id in ids]


def sweep_until(sweeper: Sweeper, stop: threading.Event, errors: list[BaseException]) -> None:
    while not stop.wait(0.3):
        try:
            sweeper.sweep(everything_waiting=True)  # queues rows already queued, too: a second worker
        except OperationalError as exc:
            errors.append(exc)


def wait_finished(services: Services, ids: list[int], seconds: float = 60) -> list[InboundMail]:
    deadline = time.monotonic() + seconds
    while True:
        with services.sessions() as session:
            rows = list(session.scalars(select(InboundMail).where(InboundMail.id.in_(ids))))
        if len(rows) == len(ids) and all(row.state not in ("received", "processing") for row in rows):
            return rows
        assert time.monotonic() < deadline, sorted({row.state for row in rows})
        time.sleep(0.1)


def collect(processes: list[subprocess.Popen[str]]) -> list[int]:
    ids = []
    for proc in processes:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        ids += [int(line) for line in out.split()]
    return ids


@pytest.mark.timeout(120)
def test_every_writer_at_once_loses_nothing_and_tickets_once(
    migrated_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    tag = uuid.uuid4().hex[:8]
    services = build_services(Settings(database_url=migrated_url, secret_key="s", fqdn="mg.example.org"))
    web = WebAgent(services)
    sweeper_errors: list[BaseException] = []
    stop_sweeping = threading.Event()
    try:
        with ThreadPoolExecutor(2, thread_name_prefix="process") as executor:
            dispatcher = ThreadDispatcher(build_processor(services), executor)
            services.intake.on_stored(dispatcher.enqueue_inbound)
            sweeper = Sweeper(services.sessions, dispatcher)
            background = [
                threading.Thread(target=web.run, name="web"),
                threading.Thread(target=sweep_until, args=(sweeper, stop_sweeping, sweeper_errors)),
            ]
            for thread in background:
                thread.start()
            writers = store_in_processes(migrated_url, tag, processes=2)
            ids = submit_in_threads(services, tag, threads=2) + collect(writers)
            rows = wait_finished(services, ids)
            web.stop.set()
            stop_sweeping.set()
            for thread in background:
                thread.join(30)
        check_exactly_once(services, rows)
    finally:
        web.stop.set()
        stop_sweeping.set()
        services.close()
    locked = [record.getMessage() for record in caplog.records if "locked" in str(record.exc_info or "")]
    assert web.errors == [] and sweeper_errors == [], (web.errors + sweeper_errors)[:3]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == [] and locked == []
    assert web.changes > 0


def check_exactly_once(services: Services, rows: list[InboundMail]) -> None:
    """Every stored mail is done, with its own ticket, one article and one decision row."""
    assert len(rows) == 2 * PROCESS_MAILS + 2 * THREAD_MAILS
    assert {row.state for row in rows} == {"done"}, [(row.id, row.state, row.last_error) for row in rows]
    ids = [row.id for row in rows]
    tickets = {row.ticket_id for row in rows}
    assert len(tickets) == len(rows) and len({row.article_id for row in rows}) == len(rows)
    with services.sessions() as session:
        decisions = session.execute(
            select(Decision.inbound_id, func.count())
            .where(Decision.inbound_id.in_(ids))
            .group_by(Decision.inbound_id)
        ).all()
        articles = session.scalar(
            select(func.count()).select_from(Article).where(Article.ticket_id.in_(tickets))
        )
    assert sorted(decisions) == [(spool_id, 1) for spool_id in sorted(ids)]
    assert articles == len(rows)


def test_in_process_dispatcher_takes_waiting_rows_in_batches_and_a_bad_one_fails_alone(
    migrated_url: str,
) -> None:
    """`mailgate run` without a broker: one queued id lands every waiting row; a poisoned mail fails alone."""
    services = build_services(Settings(database_url=migrated_url, secret_key="s", fqdn="mg.example.org"))
    dialect = services.engine.dialect.name
    tag = uuid.uuid4().hex[:8]
    try:
        with services.sessions.begin() as session:
            for statement in TRIGGER_SQL[dialect]:
                session.execute(text(statement))
        subjects = [f"{tag} 0", f"{tag} 1 {POISON}", f"{tag} 2", f"{tag} 3"]
        raws = [mail(subject, n) for n, subject in enumerate(subjects)]
        ids = [services.intake.accept(raw, InboundSource.SMTP).spool_id for raw in raws]
        with ThreadPoolExecutor(1) as executor:
            ThreadDispatcher(build_processor(services), executor).enqueue_inbound(ids[0])
        with services.sessions() as session:
            rows = {
                row.id: row for row in session.scalars(select(InboundMail).where(InboundMail.id.in_(ids)))
            }
            articles = session.scalar(
                select(func.count())
                .select_from(Article)
                .where(Article.ticket_id.in_([r.ticket_id for r in rows.values()]))
            )
    finally:
        with services.sessions.begin() as session:
            for statement in DROP_SQL[dialect]:
                session.execute(text(statement))
        services.close()
    assert {spool_id: rows[spool_id].state for spool_id in ids} == {
        ids[0]: "done",
        ids[1]: "failed",
        ids[2]: "done",
        ids[3]: "done",
    }
    assert "poisoned mail" in (rows[ids[1]].last_error or "") and articles == 3


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Engine:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'locks.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE counter (id INTEGER PRIMARY KEY, value INTEGER)"))
        connection.execute(text("INSERT INTO counter VALUES (1, 0)"))
    return engine


def in_thread(work: Callable[[], None]) -> tuple[threading.Thread, list[BaseException]]:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


def test_sqlite_read_then_write_waits_instead_of_failing(sqlite_engine: Engine) -> None:
    """A session reads, another connection commits a write, the session writes: both succeed."""
    sessions = session_factory(sqlite_engine)
    increment = text("UPDATE counter SET value = value + 1 WHERE id = 1")
    with sessions() as session:
        before = session.scalar(text("SELECT value FROM counter WHERE id = 1"))
        other, errors = in_thread(lambda: _commit(sessions, increment))
        time.sleep(0.3)  # the other writer commits now (deferred BEGIN) or waits for this one
        session.execute(increment)
        session.commit()
    other.join(40)
    assert errors == []
    with sessions() as session:
        assert session.scalar(text("SELECT value FROM counter")) == before + 2


def _commit(sessions: Callable[[], object], statement: object) -> None:
    with sessions() as session:  # type: ignore[attr-defined]
        session.execute(statement)
        session.commit()


def test_sqlite_read_only_sessions_never_wait_for_a_writer(sqlite_engine: Engine) -> None:
    """While a write transaction is open, a read-only session reads the last committed state at once."""
    writer = session_factory(sqlite_engine)()
    writer.execute(text("UPDATE counter SET value = 41 WHERE id = 1"))
    try:
        began = time.monotonic()
        with session_factory(read_only(sqlite_engine))() as reader:
            value = reader.scalar(text("SELECT value FROM counter WHERE id = 1"))
        assert value == 0 and time.monotonic() - began < 1.0
    finally:
        writer.rollback()
        writer.close()


def test_a_session_nested_in_the_threads_own_write_transaction_reads_at_once(sqlite_engine: Engine) -> None:
    """A second session the same thread opens inside its write transaction does not wait for itself."""
    sessions = session_factory(sqlite_engine)
    with sessions() as outer:
        outer.execute(text("UPDATE counter SET value = 7 WHERE id = 1"))
        began = time.monotonic()
        with sessions() as nested:  # reads the last committed state, as a deferred transaction
            assert nested.scalar(text("SELECT value FROM counter WHERE id = 1")) == 0
            with pytest.raises(OperationalError, match="locked"):  # a write in it fails at once
                nested.execute(text("UPDATE counter SET value = 8 WHERE id = 1"))
        assert time.monotonic() - began < 5
        outer.commit()
    with sessions() as session:  # the thread's next transaction holds the write lock from its first read
        session.scalar(text("SELECT value FROM counter"))
        probe = sqlite3.connect(str(sqlite_engine.url.database), timeout=0, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            probe.execute("BEGIN IMMEDIATE")
        probe.close()


def test_the_stored_secret_is_read_while_the_same_thread_holds_a_write_transaction(tmp_path: Path) -> None:
    """A web request (an open transaction) asking for the installation secret must not wait for itself."""
    url = f"sqlite:///{tmp_path / 'secret.db'}"
    init_database(url)
    engine = create_engine_for(url)
    sessions = session_factory(engine)
    settings = Settings(database_url=url, secret_key="")
    stored = installation_secret(settings, sessions)
    request = sessions()
    request.execute(text("UPDATE valid SET change_time = change_time"))  # the request's transaction is open
    found: list[str] = []
    reader, errors = in_thread(lambda: found.append(installation_secret(settings, sessions)))
    try:
        reader.join(5)
        assert not reader.is_alive() and errors == [] and found == [stored]
    finally:
        request.rollback()
        request.close()
        reader.join(40)
        engine.dispose()
