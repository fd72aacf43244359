"""The deployment files are valid and the README's first command really starts mailgate."""

from __future__ import annotations

import os
import shutil
import smtplib
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from mailgate.database import create_engine_for, session_factory
from schema.spool import InboundMail
from tests.support.net import free_port

REPO = Path(__file__).resolve().parents[2]
MAILGATE = [sys.executable, "-c", "from mailgate.cli import main; main()"]


def test_docker_compose_config_is_accepted() -> None:
    tool = shutil.which("docker-compose")
    if tool is None:
        if os.environ.get("CI") == "true":
            pytest.fail("docker-compose (Debian package docker-compose) is required under CI=true")
        pytest.skip("docker-compose is not installed")
    proc = subprocess.run(
        [tool, "-f", str(REPO / "docker-compose.yml"), "config", "--services"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr
    services = set(proc.stdout.split())
    assert {"postgres", "redis", "mailhog", "smtp", "imap", "worker", "web"} <= services


def wait_for_port(port: int, proc: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"exited with {proc.returncode}"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing listens on {port} after {seconds} s")


def wait_until_processed(db: Path, message_id: str, seconds: float = 30) -> InboundMail:
    """Poll the spool until the mail is processed (run processes it in-process)."""
    engine = create_engine_for(f"sqlite:///{db}")
    deadline = time.monotonic() + seconds
    try:
        while True:
            with session_factory(engine)() as session:
                row = session.scalars(select(InboundMail).where(InboundMail.message_id == message_id)).first()
            if row is not None and row.state not in ("received", "processing"):
                return row
            assert time.monotonic() < deadline, f"not processed in {seconds} s: {row and row.state}"
            time.sleep(0.2)
    finally:
        engine.dispose()


@pytest.mark.timeout(120)
def test_init_then_run_on_embedded_defaults_accepts_mail(tmp_path: Path) -> None:
    """What ./scripts/run does: `mailgate init`, then `mailgate run` on SQLite; a mail becomes a ticket."""
    port, web_port = free_port(), free_port()
    env = {
        **os.environ,
        "MAILGATE_SMTP_LISTEN": f"127.0.0.1:{port}",
        "MAILGATE_WEB_LISTEN": f"127.0.0.1:{web_port}",
    }
    env.pop("MAILGATE_DATABASE_URL", None)
    init = subprocess.run([*MAILGATE, "init"], cwd=tmp_path, env=env, capture_output=True, timeout=120)
    assert init.returncode == 0, init.stderr
    added = subprocess.run(
        [*MAILGATE, "address", "add", "support@example.org"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        timeout=60,
    )
    assert added.returncode == 0, added.stderr
    log = (tmp_path / "run.log").open("wb")
    proc = subprocess.Popen([*MAILGATE, "run"], cwd=tmp_path, env=env, stderr=log)
    try:
        wait_for_port(port, proc)
        tag = uuid.uuid4().hex
        with smtplib.SMTP("127.0.0.1", port) as client:
            client.sendmail(
                "jane@example.com",
                ["support@example.org"],
                f"Subject: hi\r\nMessage-ID: <{tag}@x>\r\n\r\nhello\r\n",
            )
        row = wait_until_processed(tmp_path / "mailgate.db", f"{tag}@x")
        wait_for_port(web_port, proc)
        with urllib.request.urlopen(f"http://127.0.0.1:{web_port}/login", timeout=30) as page:
            assert page.status == 200 and b"Sign in" in page.read()
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()
    assert proc.returncode == 0, (tmp_path / "run.log").read_text()
    assert row.state == "done" and row.ticket_id is not None
