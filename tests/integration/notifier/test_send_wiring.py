"""Wiring: `mailgate run` threads and `mailgate worker` on Redis send committed outbox rows by themselves."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from mailgate.outbound.outbox import dispatch_after_commit
from mailgate.tickets.reply import ReplyResult, reply
from mailgate.workers.actors import redis_broker
from mailgate.workers.inprocess import in_process_workers
from mailgate.workers.plugins import load_outbound_plugin, queue_committed_outbox
from notifier.actors import NotifierPlugin
from schema import OutboxState
from tests.integration.notifier.send_support import FQDN, SECRET, Helpdesk, customer_mail, start_helpdesk
from tests.support.broker import reachable_redis

NOW = datetime(2026, 11, 25, 10, 0, 0)
REDIS_URL = "redis://127.0.0.1:6379/13"  # a database no bench or other test uses
MAILGATE = [sys.executable, "-c", "from mailgate.cli import main; main()"]


@pytest.fixture
def desk(migrated_url: str) -> Iterator[Helpdesk]:
    helpdesk = start_helpdesk(migrated_url, NOW)
    yield helpdesk
    helpdesk.close()


def _ticket(desk: Helpdesk) -> int:
    processed = desk.deliver(customer_mail()[0])
    assert processed.ticket_id is not None
    return processed.ticket_id


def _reply(desk: Helpdesk, ticket_id: int, text: str) -> ReplyResult:
    with desk.services.sessions.begin() as session:
        return reply(session, ticket_id, 1, text, now=NOW, secret=SECRET, fqdn=FQDN)


def _wait_sent(desk: Helpdesk, outbox_ids: list[int], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while any(desk.row(outbox_id).state != OutboxState.SENT.value for outbox_id in outbox_ids):
        assert time.monotonic() < deadline, [desk.row(outbox_id).state for outbox_id in outbox_ids]
        time.sleep(0.1)


def test_the_notifier_is_found_by_entry_point() -> None:
    assert isinstance(load_outbound_plugin(), NotifierPlugin)


def test_mailgate_run_threads_send_what_commits(desk: Helpdesk) -> None:
    ticket_id = _ticket(desk)
    waiting = _reply(desk, ticket_id, "Written before the workers started.")
    with in_process_workers(desk.services, threads=2):
        live = [_reply(desk, ticket_id, f"Answer {n}") for n in range(3)]
        ids = [item.outbox_id for item in (waiting, *live) if item.outbox_id is not None]
        _wait_sent(desk, ids)
    bodies = sorted(got.message.get_body(("plain",)).get_content().strip() for got in desk.sink.received)  # type: ignore[union-attr]
    assert bodies == ["Answer 0", "Answer 1", "Answer 2", "Written before the workers started."]


@pytest.mark.timeout(120)
def test_mailgate_worker_sends_on_redis(desk: Helpdesk, migrated_url: str, tmp_path: Path) -> None:
    reachable_redis(REDIS_URL, flush=True)
    ticket_id = _ticket(desk)
    waiting = _reply(desk, ticket_id, "Never queued: the start-up sweep finds it.")
    env = {
        **os.environ,
        "MAILGATE_DATABASE_URL": migrated_url,
        "MAILGATE_BROKER_URL": REDIS_URL,
        "MAILGATE_SECRET_KEY": SECRET,
        "MAILGATE_FQDN": FQDN,
        "MAILGATE_OUTBOUND_SMTP": desk.services.settings.outbound_smtp,
    }
    log = (tmp_path / "worker.log").open("wb")
    proc = subprocess.Popen([*MAILGATE, "worker", "--processes", "1", "--threads", "2"], env=env, stderr=log)
    broker = redis_broker(REDIS_URL)
    undo = dispatch_after_commit(desk.services.sessions, NotifierPlugin().declare(broker, desk.services))
    try:
        live = [_reply(desk, ticket_id, f"Answer {n}") for n in range(5)]
        ids = [item.outbox_id for item in (waiting, *live) if item.outbox_id is not None]
        _wait_sent(desk, ids, seconds=60)
    finally:
        undo()
        proc.terminate()
        proc.wait(60)
        log.close()
        broker.close()
    assert len(desk.sink.received) == 6, (tmp_path / "worker.log").read_text()[-3000:]


def test_a_web_process_queues_its_committed_answers_on_redis(desk: Helpdesk) -> None:
    """`mailgate web` writes outbox rows but sends nothing itself: their ids go to the send actor at once."""
    reachable_redis(REDIS_URL, flush=True)
    ticket_id = _ticket(desk)
    settings = dataclasses.replace(desk.services.settings, broker_url=REDIS_URL)
    services = dataclasses.replace(desk.services, settings=settings)
    with contextlib.ExitStack() as stack:
        assert queue_committed_outbox(services, stack)
        answered = _reply(desk, ticket_id, "Sent from the web UI.")
        with pytest.raises(RuntimeError), desk.services.sessions.begin() as session:
            reply(session, ticket_id, 1, "Rolled back.", now=NOW, secret=SECRET, fqdn=FQDN)
            raise RuntimeError("the request failed")
    assert answered.outbox_id is not None
    assert _queued_on_redis(NotifierPlugin.queue) == [(answered.outbox_id,)]  # not the rolled-back one


def _queued_on_redis(queue: str) -> list[tuple[object, ...]]:
    """The arguments of the messages waiting on a Dramatiq queue (consumed until it is idle for 1 s)."""
    broker = redis_broker(REDIS_URL)
    consumer = broker.consume(queue, timeout=1000)
    found: list[tuple[object, ...]] = []
    try:
        for message in consumer:
            if message is None:
                return found
            found.append(tuple(message.args))
            consumer.ack(message)
    finally:
        consumer.close()
        broker.close()
    return found
