"""Never lose an acknowledged mail: SIGKILL the listener at random moments; stop PostgreSQL mid-run."""

from __future__ import annotations

import os
import random
import signal
import smtplib
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from mailgate.database import create_engine_for, session_factory
from mailgate.initdb import init_database
from schema import InboundMail
from tests.support.net import free_port
from tests.support.private_postgres import PrivatePostgres

MAILGATE = [sys.executable, "-c", "from mailgate.cli import main; main()"]
SENDERS = 12


def start_smtp(url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "MAILGATE_DATABASE_URL": url,
        "MAILGATE_SMTP_LISTEN": f"127.0.0.1:{port}",
        "MAILGATE_SMTP_RECIPIENTS": "any",
        "MAILGATE_SECRET_KEY": "k",
        "MAILGATE_LOG_LEVEL": "WARNING",
    }
    proc = subprocess.Popen([*MAILGATE, "smtp"], env=env, stderr=log.open("ab"), start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()[-2000:]
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc
        except OSError:
            time.sleep(0.05)
    raise AssertionError("mailgate smtp did not start")


def message(tag: str) -> bytes:
    return (
        f"From: jane@customer.example\r\nTo: support@example.org\r\nSubject: crash {tag}\r\n"
        f"Message-ID: <{tag}@crash.test>\r\n\r\n" + "body line\r\n" * 400
    ).encode()


def sender(port: int, stop: threading.Event, acknowledged: list[str], lock: threading.Lock) -> None:
    """Send mails until told to stop; a mail counts only once the server answered 250 to it."""
    while not stop.is_set():
        tag = uuid.uuid4().hex
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
                client.sendmail("jane@customer.example", ["support@example.org"], message(tag))
        except (OSError, smtplib.SMTPException):
            time.sleep(0.02)  # killed mid-session or not listening yet: not acknowledged
            continue
        with lock:
            acknowledged.append(tag)


@pytest.mark.timeout(240)
def test_sigkill_at_random_moments_loses_no_acknowledged_mail(
    engine: Engine, migrated_url: str, tmp_path: Path
) -> None:
    port, log, rng = free_port(), tmp_path / "smtp.log", random.Random(20261125)
    proc = start_smtp(migrated_url, port, log)
    stop, lock, acknowledged = threading.Event(), threading.Lock(), list[str]()
    threads = [threading.Thread(target=sender, args=(port, stop, acknowledged, lock)) for _ in range(SENDERS)]
    for thread in threads:
        thread.start()
    try:
        for _ in range(6):
            time.sleep(rng.uniform(0.3, 1.2))
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
            proc = start_smtp(migrated_url, port, log)
        time.sleep(0.5)
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
    assert len(acknowledged) > 50, f"only {len(acknowledged)} mails acknowledged; {log.read_text()[-1000:]}"
    with session_factory(engine)() as session:
        rows = session.execute(
            select(InboundMail.message_id, InboundMail.state).where(
                InboundMail.message_id.like("%@crash.test")
            )
        ).all()
    first_copies = Counter(message_id for message_id, state in rows if state != "duplicate")
    missing = [tag for tag in acknowledged if first_copies[f"{tag}@crash.test"] == 0]
    doubled = [mid for mid, count in first_copies.items() if count > 1]
    assert not missing, f"{len(missing)} acknowledged mails lost, e.g. {missing[:3]}"
    assert not doubled, f"stored more than once: {doubled[:3]}"


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres()
    server.init()
    server.start()
    yield server
    server.remove()


@pytest.mark.timeout(240)
def test_database_down_answers_451_then_delivery_succeeds(
    private_postgres: PrivatePostgres, tmp_path: Path
) -> None:
    url = private_postgres.create_database("mailgate")
    init_database(url)
    port, log = free_port(), tmp_path / "smtp.log"
    proc = start_smtp(url, port, log)
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
            assert not client.sendmail("a@customer.example", ["support@example.org"], message("before"))
        private_postgres.stop()
        private_postgres.wait_until_down()
        with (
            smtplib.SMTP("127.0.0.1", port, timeout=60) as client,
            pytest.raises(smtplib.SMTPDataError) as refused,
        ):
            client.sendmail("a@customer.example", ["support@example.org"], message("during"))
        assert refused.value.smtp_code == 451 and refused.value.smtp_error.startswith(b"4.3.0")
        private_postgres.start()
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:  # the sender's MTA retries later
            assert not client.sendmail("a@customer.example", ["support@example.org"], message("during"))
    finally:
        proc.terminate()
        proc.wait(30)
    engine = create_engine_for(url)
    with session_factory(engine)() as session:
        stored = session.scalars(
            select(InboundMail.message_id).where(InboundMail.message_id.like("%@crash.test"))
        )
        assert sorted(stored) == ["before@crash.test", "during@crash.test"]
    engine.dispose()
