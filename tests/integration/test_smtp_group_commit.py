"""Group commit: concurrent sessions share one transaction, each hears 250 only after its row is committed,
a failed batch stores nothing of itself, and one duplicate or refused mail never fails the others."""

from __future__ import annotations

import re
import smtplib
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager

import psycopg
import pytest
from sqlalchemy import Engine, select

from mailgate.database import create_engine_for, session_factory
from mailgate.errors import StorageUnavailableError
from mailgate.intake import Accepted, Intake, new_mail
from schema.spool import InboundMail, InboundSource, InboundState
from tests.integration.test_smtp_listener import listener

SESSIONS = 16


def mail(message_id: str, body: str = "Hello") -> bytes:
    return (
        f"From: jane@example.com\r\nTo: support@example.org\r\nSubject: batch\r\n"
        f"Message-ID: <{message_id}>\r\n\r\n{body}\r\n"
    ).encode()


def rows_with(engine: Engine, message_id: str) -> list[tuple[int, str, int | None]]:
    """(id, state, duplicate_of) of the spool rows with this Message-ID, read on a fresh connection."""
    fresh = create_engine_for(engine.url)
    try:
        with session_factory(fresh)() as session:
            found = session.execute(
                select(InboundMail.id, InboundMail.state, InboundMail.duplicate_of)
                .where(InboundMail.message_id == message_id)
                .order_by(InboundMail.id)
            )
            return [(row.id, row.state, row.duplicate_of) for row in found]
    finally:
        fresh.dispose()


def outcomes(futures: Sequence[Future[Accepted]]) -> list[Accepted | Exception]:
    results: list[Accepted | Exception] = []
    for future in futures:
        try:
            results.append(future.result(timeout=60))
        except Exception as exc:
            results.append(exc)
    return results


@contextmanager
def write_lock_held(engine: Engine, backend: str) -> Iterator[None]:
    """Hold the spool's write lock from another connection: the writer's next INSERT has to wait."""
    if backend == "sqlite":
        holder = sqlite3.connect(str(engine.url.database), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            holder.rollback()
            holder.close()
        return
    url = engine.url.set(drivername="postgresql")
    with psycopg.connect(url.render_as_string(hide_password=False)) as holder:
        holder.execute("LOCK TABLE mailgate_inbound IN SHARE MODE")
        yield
        holder.rollback()


@contextmanager
def statements(engine: Engine, install: Sequence[str], remove: Sequence[str]) -> Iterator[None]:
    with engine.begin() as connection:
        for statement in install:
            connection.exec_driver_sql(statement)
    try:
        yield
    finally:
        with engine.begin() as connection:
            for statement in remove:
                connection.exec_driver_sql(statement)


def send(port: int, message_id: str, replies: dict[str, tuple[int, bytes, float]]) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as client:
        client.ehlo()
        client.mail("jane@example.com")
        client.rcpt("support@example.org")
        code, reply = client.data(mail(message_id))
    replies[message_id] = (code, reply, time.monotonic())


def test_concurrent_sessions_share_a_commit_and_hear_250_only_after_it(engine: Engine, backend: str) -> None:
    tag = uuid.uuid4().hex
    intake = Intake(session_factory(engine))
    replies: dict[str, tuple[int, bytes, float]] = {}
    ids = [f"{n}.{tag}@group.test" for n in range(SESSIONS)]
    with listener(intake) as port:
        with write_lock_held(engine, backend):
            senders = [threading.Thread(target=send, args=(port, mid, replies)) for mid in ids]
            for thread in senders:
                thread.start()
            deadline = time.monotonic() + 30
            while intake.writer.waiting < SESSIONS and time.monotonic() < deadline:
                time.sleep(0.05)  # the writer is stuck in its first batch; the other mails queue behind it
            time.sleep(0.2)
            assert replies == {}, "a session heard back before its mail could be committed"
            released = time.monotonic()
        for thread in senders:
            thread.join(60)
    assert sorted(replies) == sorted(ids)
    for message_id, (code, reply, answered) in replies.items():
        assert code == 250, reply
        assert answered >= released
        spool_id = int(re.search(rb"queued as (\d+)", reply).group(1))  # type: ignore[union-attr]
        assert rows_with(engine, message_id) == [(spool_id, "received", None)]
    assert intake.writer.stats.items == SESSIONS
    assert intake.writer.stats.batches <= 2, intake.writer.stats  # they shared transactions
    intake.close()


def test_duplicates_in_a_batch_are_recorded_and_fail_no_other_mail(engine: Engine) -> None:
    tag = uuid.uuid4().hex
    intake = Intake(session_factory(engine))
    seen = intake.accept(mail(f"seen.{tag}@group.test"), InboundSource.SMTP)
    batch = [
        new_mail(mail(f"seen.{tag}@group.test"), InboundSource.SMTP),  # stored before
        new_mail(mail(f"twice.{tag}@group.test"), InboundSource.SMTP),
        new_mail(mail(f"twice.{tag}@group.test"), InboundSource.LMTP),  # the same mail in the same batch
        new_mail(mail(f"new.{tag}@group.test"), InboundSource.SMTP),
    ]
    again, first, second, fresh = outcomes(intake.submit_all(batch))
    assert intake.writer.stats.sizes == {4: 1}
    assert isinstance(again, Accepted) and isinstance(first, Accepted)
    assert isinstance(second, Accepted) and isinstance(fresh, Accepted)
    assert (again.state, again.duplicate_of) == (InboundState.DUPLICATE, seen.spool_id)
    assert first.state is InboundState.RECEIVED
    assert (second.state, second.duplicate_of) == (InboundState.DUPLICATE, first.spool_id)
    assert fresh.state is InboundState.RECEIVED
    assert rows_with(engine, f"twice.{tag}@group.test") == [
        (first.spool_id, "received", None),
        (second.spool_id, "duplicate", first.spool_id),
    ]
    assert rows_with(engine, f"new.{tag}@group.test") == [(fresh.spool_id, "received", None)]
    intake.close()


REFUSE = {
    "sqlite": (
        [
            "CREATE TRIGGER refuse_group BEFORE INSERT ON mailgate_inbound"
            " WHEN NEW.message_id LIKE 'refuse-me%'"
            " BEGIN SELECT RAISE(ABORT, 'refused by the test trigger'); END"
        ],
        ["DROP TRIGGER refuse_group"],
    ),
    "postgresql": (
        [
            "CREATE FUNCTION refuse_group() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
            " IF starts_with(NEW.message_id, 'refuse-me') THEN"
            " RAISE EXCEPTION 'refused by the test trigger'; END IF; RETURN NEW; END $$",
            "CREATE TRIGGER refuse_group BEFORE INSERT ON mailgate_inbound"
            " FOR EACH ROW EXECUTE FUNCTION refuse_group()",
        ],
        ["DROP TRIGGER refuse_group ON mailgate_inbound", "DROP FUNCTION refuse_group()"],
    ),
}


def test_a_mail_the_database_refuses_fails_alone(engine: Engine, backend: str) -> None:
    tag = uuid.uuid4().hex
    names = [f"ok1.{tag}@group.test", f"refuse-me.{tag}@group.test", f"ok2.{tag}@group.test"]
    intake = Intake(session_factory(engine))
    with statements(engine, *REFUSE[backend]):
        results = outcomes(intake.submit_all([new_mail(mail(name), InboundSource.SMTP) for name in names]))
    assert isinstance(results[1], StorageUnavailableError)
    assert [rows_with(engine, name) for name in names] == [
        [(results[0].spool_id, "received", None)],  # type: ignore[union-attr]
        [],
        [(results[2].spool_id, "received", None)],  # type: ignore[union-attr]
    ]
    intake.close()


# PostgreSQL only: a deferred constraint trigger runs at COMMIT, so these fail a batch at its very end.
AT_COMMIT = (
    [
        "CREATE FUNCTION at_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
        " IF starts_with(NEW.message_id, 'refuse-at-commit') THEN"
        " RAISE EXCEPTION 'refused at commit by the test trigger'; END IF;"
        " IF starts_with(NEW.message_id, 'die-at-commit') THEN"
        " PERFORM pg_terminate_backend(pg_backend_pid()); PERFORM pg_sleep(5); END IF;"
        " RETURN NEW; END $$",
        "CREATE CONSTRAINT TRIGGER at_commit AFTER INSERT ON mailgate_inbound"
        " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION at_commit()",
        "CREATE FUNCTION die_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
        " IF starts_with(NEW.message_id, 'die-on-insert') THEN"
        " PERFORM pg_terminate_backend(pg_backend_pid()); PERFORM pg_sleep(5); END IF;"
        " RETURN NEW; END $$",
        "CREATE TRIGGER die_on_insert BEFORE INSERT ON mailgate_inbound"
        " FOR EACH ROW EXECUTE FUNCTION die_on_insert()",
    ],
    [
        "DROP TRIGGER at_commit ON mailgate_inbound",
        "DROP FUNCTION at_commit()",
        "DROP TRIGGER die_on_insert ON mailgate_inbound",
        "DROP FUNCTION die_on_insert()",
    ],
)


@pytest.fixture
def commit_triggers(engine: Engine, backend: str) -> Iterator[None]:
    if backend != "postgresql":
        pytest.skip("deferred triggers and backend termination are PostgreSQL's")
    with statements(engine, *AT_COMMIT):
        yield


def test_a_batch_refused_at_commit_keeps_nothing_and_the_others_are_stored_once(
    engine: Engine, commit_triggers: None
) -> None:
    tag = uuid.uuid4().hex
    names = [f"ok1.{tag}@group.test", f"refuse-at-commit.{tag}@group.test", f"ok2.{tag}@group.test"]
    intake = Intake(session_factory(engine))
    results = outcomes(intake.submit_all([new_mail(mail(name), InboundSource.SMTP) for name in names]))
    assert isinstance(results[1], StorageUnavailableError)
    assert [len(rows_with(engine, name)) for name in names] == [1, 0, 1]
    assert [rows_with(engine, name)[0][0] for name in names[::2]] == [
        result.spool_id for result in results[::2] if isinstance(result, Accepted)
    ]
    intake.close()


@pytest.mark.parametrize("when", ["die-on-insert", "die-at-commit"])
def test_a_batch_whose_database_connection_dies_is_refused_whole(
    engine: Engine, commit_triggers: None, when: str
) -> None:
    """The server dies under the batch: every mail of it gets 451 and none of it is stored."""
    tag = uuid.uuid4().hex
    names = [f"ok1.{tag}@group.test", f"{when}.{tag}@group.test", f"ok2.{tag}@group.test"]
    intake = Intake(session_factory(engine))
    results = outcomes(intake.submit_all([new_mail(mail(name), InboundSource.SMTP) for name in names]))
    assert all(isinstance(result, StorageUnavailableError) for result in results), results
    assert [rows_with(engine, name) for name in names] == [[], [], []]
    later = intake.submit(mail(f"later.{tag}@group.test"), InboundSource.SMTP).result(30)
    assert rows_with(engine, f"later.{tag}@group.test") == [(later.spool_id, "received", None)]
    intake.close()


@pytest.mark.timeout(60)
def test_an_unreachable_database_answers_451_to_every_waiting_session() -> None:
    dead = create_engine_for(
        "postgresql+psycopg://postgres@127.0.0.1:1/nowhere", connect_args={"connect_timeout": 2}
    )
    intake = Intake(session_factory(dead))
    replies: dict[str, tuple[int, bytes, float]] = {}
    with listener(intake) as port:
        senders = [
            threading.Thread(target=send, args=(port, f"{n}@down.test", replies)) for n in range(SESSIONS)
        ]
        for thread in senders:
            thread.start()
        for thread in senders:
            thread.join(60)
    dead.dispose()
    assert len(replies) == SESSIONS
    assert {(code, reply[:5]) for code, reply, _ in replies.values()} == {(451, b"4.3.0")}
    intake.close()


def test_new_mails_are_queued_after_their_commit_and_duplicates_are_not(engine: Engine) -> None:
    tag = uuid.uuid4().hex
    queued: list[tuple[int, list[tuple[int, str, int | None]]]] = []

    def on_stored(spool_id: int) -> None:
        with session_factory(engine)() as session:
            message_id = session.get_one(InboundMail, spool_id).message_id or ""
        queued.append((spool_id, rows_with(engine, message_id)))

    intake = Intake(session_factory(engine), on_stored)
    names = [f"a.{tag}@group.test", f"a.{tag}@group.test", f"b.{tag}@group.test"]
    first, duplicate, other = outcomes(
        intake.submit_all([new_mail(mail(n), InboundSource.SMTP) for n in names])
    )
    intake.close()  # the writer has finished its hook
    assert isinstance(first, Accepted) and isinstance(duplicate, Accepted) and isinstance(other, Accepted)
    assert duplicate.state is InboundState.DUPLICATE
    assert [spool_id for spool_id, _ in queued] == [first.spool_id, other.spool_id]
    assert all(rows and rows[0][0] == spool_id for spool_id, rows in queued)
