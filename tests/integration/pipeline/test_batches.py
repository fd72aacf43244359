"""Batches: a worker claims its row plus other waiting rows and processes them in one transaction.

A database trigger refuses the article of one "poison" mail (a real failure in the middle of
apply, after the ticket and article rows were written): that mail fails alone, with back-off,
and the others of its batch land. Concurrent batches never ticket a spool row twice.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest
from sqlalchemy import Connection, delete, func, insert, select, text

from mailgate.outbound.policy import recipient_lock_key
from mailgate.pipeline.process import InboundProcessor
from mailgate.secret import installation_secret
from mailgate.ticketnumber import is_valid_ticket_number
from parsers import parse
from schema import Article, ArticleDataMime, InboundMail, InboundSource, QueueAutoResponse, Ticket
from schema.pipeline import Decision
from tests.integration.pipeline.support import Gateway, mail, new_id

POISON = "poison-pill"
TRIGGER_SQL = {
    "sqlite": [
        "CREATE TRIGGER mg_test_poison BEFORE INSERT ON article_data_mime"
        f" WHEN NEW.a_subject LIKE '%{POISON}%' BEGIN SELECT RAISE(ABORT, 'poisoned mail'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION mg_test_poison() RETURNS trigger LANGUAGE plpgsql AS $$"
        f" BEGIN IF NEW.a_subject LIKE '%{POISON}%' THEN RAISE EXCEPTION 'poisoned mail'; END IF;"
        " RETURN NEW; END $$",
        "CREATE TRIGGER mg_test_poison BEFORE INSERT ON article_data_mime"
        " FOR EACH ROW EXECUTE FUNCTION mg_test_poison()",
    ],
}
DROP_SQL = {
    "sqlite": ["DROP TRIGGER mg_test_poison"],
    "postgresql": ["DROP TRIGGER mg_test_poison ON article_data_mime", "DROP FUNCTION mg_test_poison()"],
}


def dialect(gateway: Gateway) -> str:
    return gateway.services.engine.dialect.name


@pytest.fixture
def poison(gateway: Gateway) -> Iterator[None]:
    """Mail whose subject carries POISON fails when its article_data_mime row is inserted."""
    with gateway.services.sessions.begin() as session:
        for statement in TRIGGER_SQL[dialect(gateway)]:
            session.execute(text(statement))
    yield
    with gateway.services.sessions.begin() as session:
        for statement in DROP_SQL[dialect(gateway)]:
            session.execute(text(statement))


def processor(gateway: Gateway, batch_size: int) -> InboundProcessor:
    services = gateway.services
    secret = installation_secret(services.settings, services.sessions, create=False)
    return InboundProcessor(services.settings, services.sessions, secret, batch_size=batch_size)


def accept(gateway: Gateway, raw: bytes) -> int:
    return gateway.services.intake.accept(
        raw, InboundSource.SMTP, "sender@example.net", ("support@example.org",)
    ).spool_id


def articles_of(gateway: Gateway, spool_ids: list[int]) -> dict[int, int]:
    """How many articles each spool row produced (Znuny's insert_fingerprint names the row)."""
    with gateway.session() as session:
        rows = session.execute(
            select(Article.insert_fingerprint, func.count())
            .where(Article.insert_fingerprint.in_([f"spool:{item}" for item in spool_ids]))
            .group_by(Article.insert_fingerprint)
        ).all()
    found = {int(fingerprint.split(":")[1]): count for fingerprint, count in rows}
    return {item: found.get(item, 0) for item in spool_ids}


def spool_rows(gateway: Gateway, spool_ids: list[int]) -> dict[int, InboundMail]:
    with gateway.session() as session:
        rows = session.scalars(select(InboundMail).where(InboundMail.id.in_(spool_ids))).all()
    return {row.id: row for row in rows}


def test_a_bad_mail_fails_alone_and_the_rest_of_its_batch_lands(gateway: Gateway, poison: None) -> None:
    ids = [accept(gateway, mail(subject=f"Printer {n}")) for n in range(2)]
    bad = accept(gateway, mail(subject=f"Printer {POISON}"))
    ids += [accept(gateway, mail(subject=f"Printer {n}")) for n in range(2, 4)]
    results = processor(gateway, batch_size=8).process_batch(ids[0])
    assert sorted(result.spool_id for result in results) == sorted([*ids, bad])
    states = {result.spool_id: result.state for result in results}
    assert states == {**dict.fromkeys(ids, "done"), bad: "failed"}
    assert articles_of(gateway, [*ids, bad]) == {**dict.fromkeys(ids, 1), bad: 0}
    rows = spool_rows(gateway, [*ids, bad])
    assert rows[bad].attempts == 1 and rows[bad].next_attempt_at is not None
    assert "poisoned mail" in (rows[bad].last_error or "") and rows[bad].ticket_id is None
    assert all(rows[item].attempts == 1 and rows[item].last_error is None for item in ids)
    with gateway.session() as session:  # the bad mail's ticket and article were rolled back too
        titles = session.scalars(select(Ticket.title).where(Ticket.title.like(f"%{POISON}%"))).all()
        assert titles == []
        decided = session.scalars(select(Decision.inbound_id).where(Decision.inbound_id.in_([*ids, bad])))
        assert sorted(decided) == sorted(ids)


def test_a_retry_runs_alone_and_lands_once(gateway: Gateway, poison: None) -> None:
    bad = accept(gateway, mail(subject=f"Printer {POISON} again"))
    failed = processor(gateway, batch_size=8).process_batch(bad)
    assert [(result.spool_id, result.state) for result in failed] == [(bad, "failed")]
    with gateway.services.sessions.begin() as session:  # the cause is fixed: drop the trigger
        for statement in DROP_SQL[dialect(gateway)]:
            session.execute(text(statement))
    try:
        waiting = accept(gateway, mail(subject="Waiting for its own message"))
        retried = processor(gateway, batch_size=8).process_batch(bad)
        assert [(result.spool_id, result.state) for result in retried] == [(bad, "done")]
        assert spool_rows(gateway, [waiting])[waiting].state == "received"  # not taken by a retry
        # a second message for the row: it is done, so that message only drains what waits
        drained = processor(gateway, batch_size=8).process_batch(bad)
        assert [(result.spool_id, result.state) for result in drained] == [(waiting, "done")]
        assert articles_of(gateway, [bad, waiting]) == {bad: 1, waiting: 1}
        assert spool_rows(gateway, [bad])[bad].attempts == 2
    finally:
        with gateway.services.sessions.begin() as session:
            for statement in TRIGGER_SQL[dialect(gateway)]:
                session.execute(text(statement))


def test_a_batch_takes_waiting_rows_oldest_first_and_threads_replies_within_it(gateway: Gateway) -> None:
    parent_id = new_id()
    parent = accept(gateway, mail(subject="Scanner jams", message_id=parent_id))
    reply = accept(gateway, mail(subject="Re: Scanner jams", in_reply_to=parent_id))
    more = [accept(gateway, mail(subject=f"Other {n}")) for n in range(4)]
    own = accept(gateway, mail(subject="The row the message was for"))
    worker = processor(gateway, batch_size=4)
    results = worker.process_batch(own)
    # its own row plus the three oldest waiting rows, in the order they were stored
    assert [result.spool_id for result in results] == [parent, reply, more[0], own]
    by_id = {result.spool_id: result for result in results}
    assert by_id[parent].outcome == "new_ticket" and by_id[reply].outcome == "followup"
    assert by_id[reply].ticket_id == by_id[parent].ticket_id
    # the reply's own message reaches the worker that committed it: nothing to do, no transaction
    assert worker.process_batch(reply) == []
    assert spool_rows(gateway, [more[1]])[more[1]].state == "received"
    # on another worker the message finds its row done and drains what waits
    rest = processor(gateway, batch_size=4).process_batch(reply)
    assert [result.spool_id for result in rest] == more[1:]


@pytest.mark.timeout(240)
def test_concurrent_batches_ticket_every_row_exactly_once(gateway: Gateway) -> None:
    rng = random.Random(5)
    message_ids: list[str] = []
    ids: list[int] = []
    for n in range(60):
        message_id = new_id()
        parent = rng.choice(message_ids) if message_ids and rng.random() < 0.4 else None
        sender = f"Customer {n % 7} <c{n % 7}@batch.example>"  # shared senders: new customers race
        raw = mail(subject=f"Case {n}", sender=sender, message_id=message_id, in_reply_to=parent)
        ids.append(accept(gateway, raw))
        message_ids.append(message_id)
    sends = ids * 2  # every row queued twice, as listener and sweeper may do
    rng.shuffle(sends)
    workers = [processor(gateway, batch_size=6) for _ in range(2)]
    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(workers[n % 2].process_batch, spool_id) for n, spool_id in enumerate(sends)]
        results = [result for future in futures for result in future.result(120)]
    assert sorted(result.spool_id for result in results) == sorted(ids)  # each row reported once
    assert {row.state for row in spool_rows(gateway, ids).values()} == {"done"}
    assert set(articles_of(gateway, ids).values()) == {1}
    with gateway.session() as session:
        decisions = session.scalar(select(func.count()).where(Decision.inbound_id.in_(ids)))
        assert decisions == len(ids)
        # every reply whose parent was processed first sits on the parent's ticket
        tickets = dict(
            session.execute(
                select(ArticleDataMime.a_message_id, Article.ticket_id)
                .join(Article, Article.id == ArticleDataMime.article_id)
                .where(Article.insert_fingerprint.in_([f"spool:{item}" for item in ids]))
            ).all()
        )
    assert len(tickets) == len(ids)
    with gateway.session() as session:  # ticket numbers come from counters reserved per batch
        numbers = session.scalars(select(Ticket.tn).where(Ticket.id.in_(set(tickets.values())))).all()
    system_id = gateway.services.settings.system_id
    assert len(set(numbers)) == len(numbers) and all(is_valid_ticket_number(tn, system_id) for tn in numbers)


def _hold_recipient_lock(gateway: Gateway, raw: bytes) -> Connection:
    """A connection holding the advisory lock an auto-reply to this mail's sender takes."""
    key = recipient_lock_key(parse(raw))
    assert key is not None
    holder = gateway.services.engine.connect()
    holder.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
    return holder


def _with_auto_response(gateway: Gateway, present: bool) -> None:
    """Give the Raw queue (id 2) Znuny's first auto-response, or take every assignment away."""
    now = datetime(2026, 11, 26, 9, 0)
    with gateway.services.sessions.begin() as session:
        session.execute(delete(QueueAutoResponse))
        if present:
            session.execute(
                insert(QueueAutoResponse).values(
                    queue_id=2, auto_response_id=1, create_by=1, change_by=1, create_time=now, change_time=now
                )
            )


@pytest.mark.timeout(60)
def test_a_batch_takes_its_auto_reply_recipients_locks_before_writing_anything(gateway: Gateway) -> None:
    """Recipient locks come with the batch's sorted lock statement, so two batches sharing two recipients
    in opposite order queue up at the start instead of deadlocking half-way (PostgreSQL)."""
    if dialect(gateway) != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's; SQLite's write lock serialises batches")
    _with_auto_response(gateway, present=True)
    worker = processor(gateway, batch_size=4)
    worker.process_batch(accept(gateway, mail(subject="Reads the configuration")))
    raw = mail(subject="Locked recipient", sender="Locked <locked@recipient.example>")
    spool_id = accept(gateway, raw)
    holder = _hold_recipient_lock(gateway, raw)
    try:
        with ThreadPoolExecutor(1) as pool:
            running = pool.submit(worker.process_batch, spool_id)
            waiting = _wait_for_advisory_waiter(holder)
            assert "unnest" in waiting  # the batch's own lock statement, before any ticket row
            assert spool_rows(gateway, [spool_id])[spool_id].state == "received"
            holder.execute(text("SELECT pg_advisory_unlock_all()"))
            holder.commit()
            assert [result.state for result in running.result(30)] == ["done"]
    finally:
        holder.close()


@pytest.mark.timeout(60)
def test_without_auto_responses_one_senders_batches_do_not_wait_for_each_other(gateway: Gateway) -> None:
    if dialect(gateway) != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's")
    _with_auto_response(gateway, present=False)
    worker = processor(gateway, batch_size=4)
    worker.process_batch(accept(gateway, mail(subject="Reads the configuration")))
    raw = mail(subject="Same sender again", sender="Flood <flood@recipient.example>")
    spool_id = accept(gateway, raw)
    holder = _hold_recipient_lock(gateway, raw)  # as another batch of this sender would
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(worker.process_batch, spool_id)
        try:
            assert [result.state for result in running.result(20)] == ["done"]
        finally:
            holder.close()  # a batch that did wait is let go, so a failure ends here


def _wait_for_advisory_waiter(connection: Connection) -> str:
    """The query of the backend waiting for an advisory lock (polls for up to 10 seconds)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = connection.execute(
            text(
                "SELECT query FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                " AND wait_event = 'advisory' AND datname = current_database()"
            )
        ).scalar()
        connection.commit()
        if found:
            return str(found)
        time.sleep(0.05)
    raise AssertionError("no backend waited for the held advisory lock")
