"""The deployment files are valid and the README's first command really starts mailgate."""

from __future__ import annotations

import os
import shutil
import smtplib
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from mailgate.database import create_engine_for, session_factory
from schema.spool import InboundMail

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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else b""
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing listens on {port} after {seconds} s")


@pytest.mark.timeout(120)
def test_init_then_run_on_embedded_defaults_accepts_mail(tmp_path: Path) -> None:
    """What ./scripts/run does: `mailgate init`, then `mailgate run` on SQLite, and a mail gets stored."""
    port = free_port()
    env = {**os.environ, "MAILGATE_SMTP_LISTEN": f"127.0.0.1:{port}"}
    env.pop("MAILGATE_DATABASE_URL", None)
    init = subprocess.run([*MAILGATE, "init"], cwd=tmp_path, env=env, capture_output=True, timeout=120)
    assert init.returncode == 0, init.stderr
    proc = subprocess.Popen([*MAILGATE, "run"], cwd=tmp_path, env=env, stderr=subprocess.PIPE)
    try:
        wait_for_port(port, proc)
        tag = uuid.uuid4().hex
        with smtplib.SMTP("127.0.0.1", port) as client:
            client.sendmail(
                "jane@example.com",
                ["support@example.org"],
                f"Subject: hi\r\nMessage-ID: <{tag}@x>\r\n\r\nhello\r\n",
            )
    finally:
        proc.terminate()
        proc.wait(30)
    assert proc.returncode == 0
    engine = create_engine_for(f"sqlite:///{tmp_path / 'mailgate.db'}")
    with session_factory(engine)() as session:
        assert session.scalars(select(InboundMail).where(InboundMail.message_id == f"{tag}@x")).one()
    engine.dispose()
