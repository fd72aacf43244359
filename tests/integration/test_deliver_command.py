"""`mailgate deliver`: exit 0 once the mail is committed, 75 (EX_TEMPFAIL) when it cannot be stored."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

from sqlalchemy import Engine, select

from mailgate.database import session_factory
from schema.spool import InboundMail

MAILGATE = [sys.executable, "-c", "from mailgate.cli import main; main()"]


def run_deliver(url: str, raw: bytes, *args: str) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "MAILGATE_DATABASE_URL": url}
    return subprocess.run([*MAILGATE, "deliver", *args], input=raw, env=env, capture_output=True, timeout=60)


def test_deliver_stores_and_exits_zero(engine: Engine, migrated_url: str) -> None:
    tag = uuid.uuid4().hex
    raw = f"From: a@example.com\nSubject: hi\nMessage-ID: <{tag}@x>\n\nbody\n".encode()
    proc = run_deliver(migrated_url, raw, "-f", "a@example.com", "support@example.org")
    assert proc.returncode == 0, proc.stderr
    with session_factory(engine)() as session:
        row = session.scalars(select(InboundMail).where(InboundMail.message_id == f"{tag}@x")).one()
    assert row.raw == raw and row.source == "pipe" and row.envelope_sender == "a@example.com"


def test_deliver_tempfails_when_database_missing(tmp_path: Path) -> None:
    proc = run_deliver(f"sqlite:///{tmp_path}/missing/dir/x.db", b"Subject: x\n\nbody\n")
    assert proc.returncode == 75, proc.stderr
