"""Workers: Dramatiq worker processes on a real Redis, in-process threads, and the sweeper."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, update

from mailgate.database import session_factory
from mailgate.intake import Intake
from mailgate.services import build_processor, build_services
from mailgate.settings import Settings
from mailgate.tickets.clock import now_utc
from mailgate.workers.actors import declare_actors, redis_broker
from mailgate.workers.dispatch import ThreadDispatcher
from mailgate.workers.sweeper import Sweeper
from schema import InboundMail, InboundSource
from tests.support.broker import reachable_redis

REDIS_URL = "redis://127.0.0.1:6379/7"
MAILGATE = [sys.executable, "-c", "from mailgate.cli import main; main()"]


@pytest.fixture(scope="module")
def redis_url() -> str:
    reachable_redis(REDIS_URL, flush=True)
    return REDIS_URL


def mail() -> tuple[bytes, str]:
    message_id = f"{uuid.uuid4().hex}@customer.example"
    raw = (
        f"From: a@customer.example\r\nTo: support@example.org\r\nSubject: s\r\n"
        f"Message-ID: <{message_id}>\r\n\r\nb\r\n"
    )
    return raw.encode(), message_id


def wait_done(engine: Engine, spool_ids: list[int], seconds: float = 60) -> list[InboundMail]:
    deadline = time.monotonic() + seconds
    while True:
        with session_factory(engine)() as session:
            rows = list(session.scalars(select(InboundMail).where(InboundMail.id.in_(spool_ids))))
        if all(row.state in ("done", "failed", "ignored") for row in rows):
            return rows
        assert time.monotonic() < deadline, [row.state for row in rows]
        time.sleep(0.2)


@pytest.mark.timeout(180)
def test_worker_processes_on_redis(engine: Engine, migrated_url: str, redis_url: str, tmp_path: Path) -> None:
    settings = Settings(database_url=migrated_url, broker_url=redis_url, secret_key="s")
    env = {
        **os.environ,
        "MAILGATE_DATABASE_URL": migrated_url,
        "MAILGATE_BROKER_URL": redis_url,
        "MAILGATE_SECRET_KEY": "s",
    }
    # one mail stored before any worker runs and never queued: the start-up sweep finds it
    services = build_services(settings)
    waiting = services.intake.accept(mail()[0], InboundSource.PIPE).spool_id
    log = (tmp_path / "worker.log").open("wb")
    proc = subprocess.Popen([*MAILGATE, "worker", "--processes", "2", "--threads", "2"], env=env, stderr=log)
    broker = redis_broker(redis_url)
    try:
        services.intake.on_stored(declare_actors(broker, lambda: build_processor(services)).enqueue_inbound)
        ids = [services.intake.accept(mail()[0], InboundSource.SMTP).spool_id for _ in range(20)]
        rows = wait_done(engine, [*ids, waiting])
    finally:
        proc.terminate()
        proc.wait(60)
        log.close()
        broker.close()
        services.close()
    assert {row.state for row in rows} == {"done"}, (tmp_path / "worker.log").read_text()[-3000:]
    assert len({row.ticket_id for row in rows}) == 21


def test_sweeper_requeues_due_failures_and_lost_rows(engine: Engine, migrated_url: str) -> None:
    settings = Settings(database_url=migrated_url, secret_key="s")
    services = build_services(settings)
    intake = Intake(session_factory(engine))
    lost = intake.accept(mail()[0], InboundSource.SMTP).spool_id
    failed = intake.accept(mail()[0], InboundSource.SMTP).spool_id
    past = now_utc() - timedelta(hours=1)
    with session_factory(engine).begin() as session:
        session.execute(update(InboundMail).where(InboundMail.id == lost).values(changed_at=past))
        session.execute(
            update(InboundMail)
            .where(InboundMail.id == failed)
            .values(state="failed", attempts=1, next_attempt_at=past, last_error="earlier failure")
        )
    with ThreadPoolExecutor(2) as executor:
        dispatcher = ThreadDispatcher(build_processor(services), executor)
        assert Sweeper(services.sessions, dispatcher).sweep() >= 2
    rows = wait_done(engine, [lost, failed])
    services.close()
    assert {row.state for row in rows} == {"done"}
    assert all(row.last_error is None for row in rows)
