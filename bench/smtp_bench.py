"""SMTP intake throughput beside a bare aiosmtpd sink, and SMTP-to-ticket end to end.

Run: .venv/bin/python bench/smtp_bench.py [--mails 5000] [--sessions 20] [--e2e-mails 2000]

Load comes from Postfix's smtp-source (fetched with `apt-get download postfix` into bench/out/ and
unpacked with dpkg -x; nothing is installed). Figures, all measured in this run:
  1. a bare aiosmtpd sink that answers 250 at once (the baseline);
  2. `mailgate smtp` on PostgreSQL: 250 only after the spool commit (target: at least half the sink);
  3. end to end: `mailgate smtp` + `mailgate worker` processes on PostgreSQL and Redis, until every
     mail is a committed ticket (target: at least 200 per second on 2 cores).
Needs PostgreSQL at 127.0.0.1:5432 (user postgres, trust) and Redis at 127.0.0.1:6379.
"""

from __future__ import annotations

import argparse
import glob
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import redis

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out"
ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=test"
REDIS_URL = "redis://127.0.0.1:6379/9"
MAILGATE = [sys.executable, "-c", "from mailgate.cli import main; main()"]
SINK = """
import asyncio, sys
from aiosmtpd.smtp import SMTP
class Sink:
    async def handle_DATA(self, server, session, envelope):
        return "250 2.0.0 Ok"
async def main():
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(Sink()), "127.0.0.1", int(sys.argv[1]))
    await asyncio.Event().wait()
asyncio.run(main())
"""


def smtp_source() -> tuple[str, dict[str, str]]:
    """Path of Postfix's smtp-source and the environment it needs, fetching the package if needed."""
    root = OUT / "postfix"
    binary = root / "usr" / "sbin" / "smtp-source"
    if not binary.exists():
        root.mkdir(parents=True, exist_ok=True)
        subprocess.run(["apt-get", "download", "postfix"], cwd=OUT, check=True, capture_output=True)
        package = sorted(glob.glob(str(OUT / "postfix_*.deb")))[-1]
        subprocess.run(["dpkg", "-x", package, str(root)], check=True)
    return str(binary), {**os.environ, "LD_LIBRARY_PATH": str(root / "usr" / "lib" / "postfix")}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_port(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing listens on {port}")


def blast(port: int, mails: int, sessions: int, size: int) -> float:
    """Send `mails` mails of `size` bytes over `sessions` parallel sessions; returns mails per second."""
    binary, env = smtp_source()
    began = time.perf_counter()
    subprocess.run(
        [
            binary,
            "-s",
            str(sessions),
            "-l",
            str(size),
            "-m",
            str(mails),
            "-f",
            "load@customer.example",
            "-t",
            "support@example.org",
            f"127.0.0.1:{port}",
        ],
        env=env,
        check=True,
    )
    return mails / (time.perf_counter() - began)


def scratch_database() -> tuple[str, str]:
    name = f"mg_bench_{secrets.token_hex(4)}"
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def drop_database(name: str) -> None:
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def count(name: str, where: str) -> int:
    with psycopg.connect(f"host=127.0.0.1 user=postgres dbname={name}") as conn:
        row = conn.execute(f"SELECT count(*) FROM mailgate_inbound WHERE {where}").fetchone()
    return int(row[0]) if row else 0


def start(argv: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(argv, env=env, stderr=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mails", type=int, default=5000)
    parser.add_argument("--e2e-mails", type=int, default=2000)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--size", type=int, default=5120)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    smtp_source()

    port = free_port()
    sink = start([sys.executable, "-c", SINK, str(port)], dict(os.environ))
    wait_port(port)
    try:
        sink_rate = blast(port, args.mails, args.sessions, args.size)
    finally:
        sink.terminate()

    name, url = scratch_database()
    base_env = {
        **os.environ,
        "MAILGATE_DATABASE_URL": url,
        "MAILGATE_SMTP_RECIPIENTS": "any",
        "MAILGATE_SECRET_KEY": "bench",
        "MAILGATE_LOG_LEVEL": "WARNING",
    }
    try:
        subprocess.run([*MAILGATE, "init"], env=base_env, check=True, capture_output=True)
        port = free_port()
        smtp = start([*MAILGATE, "smtp"], {**base_env, "MAILGATE_SMTP_LISTEN": f"127.0.0.1:{port}"})
        wait_port(port)
        try:
            intake_rate = blast(port, args.mails, args.sessions, args.size)
        finally:
            smtp.terminate()
            smtp.wait(30)
        stored = count(name, "true")

        redis.Redis.from_url(REDIS_URL).flushdb()
        e2e_env = {**base_env, "MAILGATE_BROKER_URL": REDIS_URL}
        workers = start(
            [*MAILGATE, "worker", "--processes", str(args.processes), "--threads", str(args.threads)], e2e_env
        )
        port = free_port()
        smtp = start([*MAILGATE, "smtp"], {**e2e_env, "MAILGATE_SMTP_LISTEN": f"127.0.0.1:{port}"})
        wait_port(port)
        time.sleep(3)  # workers connected; their start-up sweep queues the rows of step 2 first
        while count(name, "state IN ('received', 'processing')"):
            time.sleep(0.2)
        try:
            began = time.perf_counter()
            blast(port, args.e2e_mails, args.sessions, args.size)
            while count(name, "state IN ('received', 'processing')"):
                time.sleep(0.1)
            e2e_rate = args.e2e_mails / (time.perf_counter() - began)
        finally:
            smtp.terminate()
            workers.terminate()
            smtp.wait(30)
            workers.wait(60)
        failed = count(name, "state = 'failed'")
    finally:
        drop_database(name)

    print(f"{args.sessions} concurrent sessions, {args.size}-byte mails (Postfix smtp-source)")
    print(f"baseline: bare aiosmtpd sink             {sink_rate:8.1f} mails/s")
    intake_ratio, e2e_ratio = intake_rate / sink_rate, e2e_rate / sink_rate
    print(
        f"mailgate smtp, 250 after spool commit    {intake_rate:8.1f} mails/s  ({intake_ratio:.2f}x sink;"
        f" target >= 0.5x; {stored} rows stored)"
    )
    print(
        f"end to end, SMTP to committed ticket     {e2e_rate:8.1f} mails/s  ({e2e_ratio:.2f}x sink;"
        f" target >= 200/s; {failed} failed)"
    )


if __name__ == "__main__":
    main()
