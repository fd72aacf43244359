"""`mailgate import` as a process: summary and exit codes, SIGTERM then resume, --limit, queueing on Redis."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from sqlalchemy import Engine, func, select

from mailgate.database import session_factory
from schema.spool import InboundMail
from tests.support.broker import reachable_redis

MAILGATE = [sys.executable, "-c", "from mailgate.cli import main; main()"]
FROM_LINE = b"From jane@example.com Mon Jan  1 10:00:00 2024\n"
REDIS_URL = "redis://127.0.0.1:6379/11"


def make_mail(tag: str, n: int) -> bytes:
    return (
        f"From: jane@example.com\nTo: support@example.org\nSubject: mail {n}\n"
        f"Message-ID: <{n}.{tag}@example.com>\n\nFrom the desk of Jane, mail {n}.\n"
    ).encode()


def write_mbox(path: Path, tag: str, count: int) -> Path:
    with path.open("wb") as out:
        for n in range(count):
            out.write(FROM_LINE + make_mail(tag, n).replace(b"\nFrom ", b"\n>From ") + b"\n")
    return path


def env_for(url: str, broker: str = "") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILGATE_")}
    return {**env, "MAILGATE_DATABASE_URL": url, "MAILGATE_BROKER_URL": broker}


def run_import(url: str, *args: str, broker: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*MAILGATE, "import", *args], env=env_for(url, broker), capture_output=True, text=True, timeout=300
    )


def copies(engine: Engine, tag: str) -> dict[str, int]:
    """Message-ID -> number of spool rows holding it."""
    query = (
        select(InboundMail.message_id, func.count())
        .where(InboundMail.message_id.like(f"%.{tag}@%"))
        .group_by(InboundMail.message_id)
    )
    with session_factory(engine)() as session:
        return {row[0] or "": row[1] for row in session.execute(query)}


def test_import_reports_and_exit_code_reflects_failures(
    engine: Engine, migrated_url: str, tmp_path: Path
) -> None:
    tag = uuid.uuid4().hex
    for n in range(3):
        (tmp_path / f"{n}.eml").write_bytes(make_mail(tag, n))
    (tmp_path / "broken.eml").write_bytes(b"")
    first = run_import(migrated_url, str(tmp_path))
    assert first.returncode == 1, first.stderr
    assert "stored:              3" in first.stdout
    assert "failed:              1" in first.stdout and "broken.eml: empty" in first.stdout
    again = run_import(migrated_url, str(tmp_path))
    assert "stored:              0" in again.stdout and "already present:     3" in again.stdout
    assert copies(engine, tag) == {f"{n}.{tag}@example.com": 1 for n in range(3)}


def test_single_eml_file_and_clean_exit(engine: Engine, migrated_url: str, tmp_path: Path) -> None:
    tag = uuid.uuid4().hex
    path = tmp_path / "one.eml"
    path.write_bytes(make_mail(tag, 1))
    done = run_import(migrated_url, str(path))
    assert done.returncode == 0, done.stderr
    with session_factory(engine)() as session:
        raw = session.scalar(select(InboundMail.raw).where(InboundMail.message_id == f"1.{tag}@example.com"))
    assert raw == path.read_bytes()


def test_limit_then_resume(engine: Engine, migrated_url: str, tmp_path: Path) -> None:
    tag = uuid.uuid4().hex
    box = write_mbox(tmp_path / "box.mbox", tag, 40)
    first = run_import(migrated_url, str(box), "--limit", "15")
    assert first.returncode == 0, first.stderr
    assert "stopped early: limit reached" in first.stdout
    assert len(copies(engine, tag)) == 15
    rest = run_import(migrated_url, str(box))
    assert rest.returncode == 0 and "stored:              25" in rest.stdout
    assert copies(engine, tag) == {f"{n}.{tag}@example.com": 1 for n in range(40)}


@pytest.mark.timeout(300)
def test_sigterm_stops_cleanly_and_a_second_run_resumes(
    engine: Engine, migrated_url: str, tmp_path: Path
) -> None:
    tag = uuid.uuid4().hex
    total = 2000
    box = write_mbox(tmp_path / "box.mbox", tag, total)
    proc = subprocess.Popen(
        [*MAILGATE, "import", str(box)],
        env=env_for(migrated_url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while sum(copies(engine, tag).values()) < 50:
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGTERM, (out, err)
    assert "stopped early: interrupted" in out
    interrupted = copies(engine, tag)
    assert 50 <= len(interrupted) < total
    resumed = run_import(migrated_url, str(box))
    assert resumed.returncode == 0, resumed.stderr
    assert f"already present:     {len(interrupted)}" in resumed.stdout
    assert copies(engine, tag) == {f"{n}.{tag}@example.com": 1 for n in range(total)}


@pytest.fixture(scope="module")
def redis_client() -> redis.Redis:
    return reachable_redis(REDIS_URL)


def queued_spool_ids(client: redis.Redis) -> list[int]:
    """The spool ids waiting in Dramatiq's inbound queue on Redis."""
    stored = client.hgetall("dramatiq:mailgate-inbound.msgs")
    return sorted(json.loads(message)["args"][0] for message in stored.values())


def test_queue_after_sends_each_stored_mail_to_the_broker(
    engine: Engine, migrated_url: str, tmp_path: Path, redis_client: redis.Redis
) -> None:
    tag = uuid.uuid4().hex
    redis_client.flushdb()
    box = write_mbox(tmp_path / "box.mbox", tag, 6)
    quiet = run_import(
        migrated_url, str(tmp_path / "box.mbox"), "--limit", "2", "--no-queue-after", broker=REDIS_URL
    )
    assert quiet.returncode == 0, quiet.stderr
    assert queued_spool_ids(redis_client) == []
    queued = run_import(migrated_url, str(box), broker=REDIS_URL)
    assert queued.returncode == 0, queued.stderr
    with session_factory(engine)() as session:
        ids = session.scalars(
            select(InboundMail.id).where(InboundMail.message_id.like(f"%.{tag}@%")).order_by(InboundMail.id)
        ).all()
    assert queued_spool_ids(redis_client) == list(ids[2:])
    redis_client.flushdb()
