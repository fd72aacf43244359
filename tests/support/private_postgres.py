"""A private PostgreSQL server in a temporary folder, which a test may stop and start at will."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg
import pytest

from tests.support.net import free_port

PG_BIN = Path("/usr/lib/postgresql")


def _bin(name: str) -> str:
    versions = sorted(
        PG_BIN.glob("*/bin"), key=lambda path: int(path.parent.name) if path.parent.name.isdigit() else 0
    )
    for folder in reversed(versions):
        if (folder / name).is_file():
            return str(folder / name)
    found = shutil.which(name)
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL server binary {name} not found (CI=true)")
        pytest.skip(f"PostgreSQL server binary {name} not found")
    return found


class PrivatePostgres:
    """initdb, start, stop: a throw-away cluster on 127.0.0.1:<port>, owned by the postgres user when root."""

    def __init__(self) -> None:
        # its own folder right under /tmp: pytest's tmp_path is private to root, the server runs as postgres
        self.folder = Path(tempfile.mkdtemp(prefix="mailgate-pg-"))
        self.folder.chmod(0o755)
        self.data = self.folder / "data"
        self.port = free_port()
        self._as_postgres = (
            ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups"] if os.getuid() == 0 else []
        )

    def _run(self, *argv: str) -> None:
        subprocess.run([*self._as_postgres, *argv], check=True, capture_output=True, timeout=120)

    def init(self) -> None:
        """Create the cluster (trust authentication on loopback)."""
        if self._as_postgres:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run(_bin("initdb"), "-D", str(self.data), "--auth=trust", "-U", "postgres", "--no-sync")

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            _bin("pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.folder / "log"), "-w", "start"
        )

    def stop(self) -> None:
        """Stop at once, as a crash would (immediate shutdown)."""
        self._run(_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def create_database(self, name: str) -> str:
        """Create a database; returns its SQLAlchemy URL."""
        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def wait_until_down(self, seconds: float = 10) -> None:
        """Wait until nothing listens on the port any more."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
            except OSError:
                return
            time.sleep(0.1)

    def remove(self) -> None:
        """Stop the server if it runs and delete its folder."""
        subprocess.run(
            [*self._as_postgres, _bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"],
            capture_output=True,
            timeout=60,
            check=False,
        )
        shutil.rmtree(self.folder, ignore_errors=True)
