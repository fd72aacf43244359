"""SMTP intake throughput beside a bare aiosmtpd sink, and SMTP-to-ticket end to end.

Run: flock /tmp/mailgate-bench.lock .venv/bin/python bench/smtp_bench.py [--mails 5000] [--rounds 3]
     [--sessions 20] [--e2e-mails 2000]

Load comes from Postfix's smtp-source (fetched with `apt-get download postfix` into bench/out/ and
unpacked with dpkg -x; nothing is installed). Figures, all measured in this run:
  1. a bare aiosmtpd sink that answers 250 at once (the baseline);
  2. `mailgate smtp` on PostgreSQL: 250 only after the spool commit (target: at least half the sink);
     1 and 2 take turns for --rounds rounds and the median of the rounds' ratios is reported;
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
import statistics
import subprocess
import sys
import tempfile
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


def start(argv: list[str], env: dict[str, str], cwd: Path | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(argv, env=env, cwd=cwd, stderr=subprocess.DEVNULL)


def checkout(revision: str, into: Path) -> Path:
    """The tree of a git revision of this repository, unpacked into a scratch folder outside the repository
    (inside it, mypy and pytest would take it for part of the project)."""
    archive = subprocess.run(["git", "archive", revision], cwd=REPO, check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def intake_rates(
    args: argparse.Namespace, base_env: dict[str, str], scratch: Path
) -> list[tuple[float, float, float | None]]:
    """(sink, mailgate, mailgate at --compare) mails per second, round by round: they take turns, so
    that whatever else the machine is doing weighs on all alike."""
    sink_port, smtp_port, old_port = free_port(), free_port(), free_port()
    servers = [
        start([sys.executable, "-c", SINK, str(sink_port)], dict(os.environ)),
        start([*MAILGATE, "smtp"], {**base_env, "MAILGATE_SMTP_LISTEN": f"127.0.0.1:{smtp_port}"}),
    ]
    if args.compare:
        tree = checkout(args.compare, scratch)  # run from there: `python -c` puts the cwd first
        old_env = {**base_env, "MAILGATE_SMTP_LISTEN": f"127.0.0.1:{old_port}", "PYTHONPATH": str(tree)}
        servers.append(start([*MAILGATE, "smtp"], old_env, cwd=tree))
    rounds: list[tuple[float, float, float | None]] = []
    try:
        for port in (sink_port, smtp_port, old_port) if args.compare else (sink_port, smtp_port):
            wait_port(port)
        used = [cpu_seconds(server.pid) for server in servers]
        for _ in range(args.rounds):
            sink_rate = blast(sink_port, args.mails, args.sessions, args.size)
            old_rate = blast(old_port, args.mails, args.sessions, args.size) if args.compare else None
            rounds.append((sink_rate, blast(smtp_port, args.mails, args.sessions, args.size), old_rate))
        mails = args.mails * args.rounds
        names = ["sink", "mailgate", *([args.compare] if args.compare else [])]
        cpu = [cpu_seconds(server.pid) - before for server, before in zip(servers, used, strict=True)]
        print("server CPU per mail (ms), less disturbed by other load than the rates:", end="")
        print("".join(f" {name} {1000 * sec / mails:.2f}" for name, sec in zip(names, cpu, strict=True)))
    finally:
        for server in servers:
            server.terminate()
            server.wait(30)
    return rounds


def end_to_end_rate(args: argparse.Namespace, base_env: dict[str, str], name: str) -> tuple[float, int]:
    """Mails per second from the first SMTP connection until every mail is a committed ticket; failures."""
    redis.Redis.from_url(REDIS_URL).flushdb()
    e2e_env = {**base_env, "MAILGATE_BROKER_URL": REDIS_URL}
    workers = start(
        [*MAILGATE, "worker", "--processes", str(args.processes), "--threads", str(args.threads)], e2e_env
    )
    port = free_port()
    smtp = start([*MAILGATE, "smtp"], {**e2e_env, "MAILGATE_SMTP_LISTEN": f"127.0.0.1:{port}"})
    wait_port(port)
    time.sleep(3)  # workers connected
    try:
        began = time.perf_counter()
        blast(port, args.e2e_mails, args.sessions, args.size)
        while count(name, "state IN ('received', 'processing')"):
            time.sleep(0.1)
        rate = args.e2e_mails / (time.perf_counter() - began)
    finally:
        smtp.terminate()
        workers.terminate()
        smtp.wait(30)
        workers.wait(60)
    return rate, count(name, "state = 'failed'")


def bench_env(url: str) -> dict[str, str]:
    return {
        **os.environ,
        "MAILGATE_DATABASE_URL": url,
        "MAILGATE_SMTP_RECIPIENTS": "any",
        "MAILGATE_SECRET_KEY": "bench",
        "MAILGATE_LOG_LEVEL": "WARNING",
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mails", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3, help="sink/mailgate turns for figures 1 and 2")
    parser.add_argument("--compare", metavar="REV", help="also run `mailgate smtp` of this git revision")
    parser.add_argument("--e2e-mails", type=int, default=2000, help="0 skips figure 3")
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--size", type=int, default=5120)
    parser.add_argument("--processes", type=int, default=4, help="`mailgate worker`'s default on 2 cores")
    parser.add_argument("--threads", type=int, default=1, help="per worker process")
    args = parser.parse_args()
    smtp_source()

    name, url = scratch_database()
    try:
        subprocess.run([*MAILGATE, "init"], env=bench_env(url), check=True, capture_output=True)
        with tempfile.TemporaryDirectory(prefix="mailgate-rev-") as scratch:
            rounds = intake_rates(args, bench_env(url), Path(scratch))
        stored = count(name, "true")
    finally:
        drop_database(name)
    e2e: tuple[float, int] | None = None
    if args.e2e_mails:
        name, url = scratch_database()  # a spool of its own: no backlog from the rounds above
        try:
            subprocess.run([*MAILGATE, "init"], env=bench_env(url), check=True, capture_output=True)
            e2e = end_to_end_rate(args, bench_env(url), name)
        finally:
            drop_database(name)

    print(f"{args.sessions} concurrent sessions, {args.size}-byte mails (Postfix smtp-source)")
    for number, (sink_rate, intake_rate, old_rate) in enumerate(rounds, 1):
        old = f", {args.compare}: {old_rate:7.1f} ({old_rate / sink_rate:.2f}x)" if old_rate else ""
        print(
            f"round {number}: bare aiosmtpd sink {sink_rate:7.1f} mails/s,"
            f" mailgate smtp {intake_rate:7.1f} ({intake_rate / sink_rate:.2f}x){old}"
        )
    ratio = statistics.median(intake / sink for sink, intake, _ in rounds)
    sink_median = statistics.median(sink for sink, _, _ in rounds)
    print(f"baseline: bare aiosmtpd sink             {sink_median:8.1f} mails/s (median)")
    print(
        f"mailgate smtp, 250 after spool commit    {statistics.median(i for _, i, _ in rounds):8.1f} mails/s"
        f"  ({ratio:.2f}x sink, median of the rounds' ratios; target >= 0.5x;"
        f" {stored} of {args.mails * len(rounds) * (2 if args.compare else 1)} rows stored)"
    )
    if args.compare:
        old_ratio = statistics.median(old / sink for sink, _, old in rounds if old)
        print(f"mailgate smtp at {args.compare}: {old_ratio:.2f}x sink (median of the rounds' ratios)")
    if e2e is not None:
        e2e_rate, failed = e2e
        print(
            f"end to end, SMTP to committed ticket     {e2e_rate:8.1f} mails/s"
            f"  ({e2e_rate / sink_median:.2f}x sink; target >= 200/s; {failed} failed)"
        )


if __name__ == "__main__":
    main()
