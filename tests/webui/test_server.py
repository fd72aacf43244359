"""The web UI served by waitress (what `mailgate web` and `mailgate run` use) answers over real HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.support.net import free_port
from tests.webui.support import WebEnv
from webui.server import WebServer

pytestmark = pytest.mark.integration


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, response.read().decode()


def test_web_server_in_a_thread_serves_and_stops(web: WebEnv) -> None:
    server = WebServer(web.app, f"127.0.0.1:{free_port()}", threads=2)
    server.start()
    try:
        host, port = server.address
        status, page = _get(f"http://{host}:{port}/login")
        assert status == 200 and "Sign in" in page
    finally:
        server.stop()
    with pytest.raises(OSError):
        _get(f"http://{host}:{port}/login")


def test_mailgate_web_command(web: WebEnv, tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "MAILGATE_DATABASE_URL": web.services.settings.database_url,
        "MAILGATE_SECRET_KEY": "command-test",
    }
    command = [
        sys.executable,
        "-c",
        "from mailgate.cli import main; main()",
        "web",
        "--listen",
        f"127.0.0.1:{port}",
    ]
    proc = subprocess.Popen(command, env=env, cwd=tmp_path, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, page = _get(f"http://127.0.0.1:{port}/login")
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "mailgate web did not start"
                time.sleep(0.2)
        assert status == 200 and "Sign in" in page
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
