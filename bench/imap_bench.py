"""IMAP backlog import: mails per second and peak RSS of `mailgate imap --once` into PostgreSQL.

Run: .venv/bin/python bench/imap_bench.py [--mails 10000] [--small 2000] [--size 4000]

Starts a rootless Dovecot (tests/integration/imap/dovecot.py), drops a Maildir backlog of `--mails`
mails into one account and `--small` into another, and creates a scratch PostgreSQL database with a
mail_account row for each. Measured in the same run, each in its own process (wall time including
interpreter start, peak RSS from wait4):
  baseline  a bare aioimaplib session: UID SEARCH + UID FETCH (BODY.PEEK[]) in batches of 100, nothing stored
  ceiling   Intake.accept() of as many mails from the same thread pool, no IMAP (the database floor)
  poller    `mailgate imap --once --account ID`: fetch, commit each mail to the spool, move it away
The small account shows whether the poller's memory grows with the backlog. Needs PostgreSQL at
127.0.0.1:5432 (user postgres, trust) and Dovecot (dovecot-imapd, dovecot-lmtpd).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import secrets
import subprocess
import sys
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import func, select

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from mailgate.database import create_engine_for, session_factory  # noqa: E402
from mailgate.initdb import init_database  # noqa: E402
from schema import InboundMail, MailAccount  # noqa: E402

ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=test"
USERS = {"backlog": "pw-backlog", "small": "pw-small"}
BATCH = 100


def load_dovecot_harness() -> Any:
    """The test suite's Dovecot harness (loaded by path: tests/ is not a package)."""
    path = REPO / "tests" / "integration" / "imap" / "dovecot.py"
    spec = importlib.util.spec_from_file_location("mailgate_bench_dovecot", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def make_mails(count: int, size: int, tag: str) -> list[bytes]:
    """Plain-text mails of about `size` bytes, each with its own Message-ID."""
    body = ("The printer on the third floor shows error 0x42 again. " * (size // 56 + 1))[:size]
    return [
        (
            f"From: Customer {n % 300} <c{n % 300}@example.com>\r\nTo: support@example.org\r\n"
            f"Subject: Printer problem {n}\r\nMessage-ID: <{tag}.{n}.{uuid.uuid4().hex}@example.com>\r\n"
            f"Date: Thu, 26 Nov 2026 00:00:00 +0000\r\n\r\n{body}\r\n"
        ).encode()
        for n in range(count)
    ]


def scratch_database() -> str:
    """A new, initialised PostgreSQL database; returns its name."""
    name = f"mg_imapbench_{secrets.token_hex(4)}"
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    init_database(f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}")
    return name


def drop_database(name: str) -> None:
    """Drop the scratch database."""
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def add_accounts(url: str, port: int) -> dict[str, int]:
    """A mail_account row per Dovecot user; returns user -> account id."""
    engine = create_engine_for(url)
    now = datetime.now()
    ids: dict[str, int] = {}
    with session_factory(engine)() as session:
        for user, password in USERS.items():
            row = MailAccount(
                login=user, pw=password, host=f"127.0.0.1:{port}", account_type="IMAP", queue_id=1,
                trusted=0, imap_folder="INBOX", valid_id=1, create_by=1, change_by=1,
                create_time=now, change_time=now,
            )  # fmt: skip
            session.add(row)
            session.commit()
            ids[user] = row.id
    engine.dispose()
    return ids


def spool_report(url: str, account_id: int) -> tuple[int, int, float]:
    """Spool rows of the account, distinct UIDs among them, and seconds from first to last commit."""
    engine = create_engine_for(url)
    of_account = InboundMail.imap_account_id == account_id
    with session_factory(engine)() as session:
        row = session.execute(
            select(
                func.count(),
                func.count(func.distinct(InboundMail.imap_uid)),
                func.min(InboundMail.created_at),
                func.max(InboundMail.created_at),
            ).where(of_account)
        ).one()
    engine.dispose()
    span = (row[3] - row[2]).total_seconds() if row[2] is not None else 0.0
    return row[0], row[1], span


def _high_water_mib(pid: int) -> float | None:
    """The process's peak resident set (VmHWM) so far, or None once it has gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


def run_measured(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run a child process; returns (wall seconds, peak RSS in MiB sampled from /proc, its stdout).

    wait4()'s ru_maxrss is useless here: Linux carries the parent's high-water mark across fork+exec.
    """
    start = time.monotonic()
    child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    peak = 0.0
    while child.poll() is None:
        peak = max(peak, _high_water_mib(child.pid) or 0.0)
        time.sleep(0.02)
    seconds = time.monotonic() - start
    assert child.stdout is not None
    output = child.stdout.read().decode()
    if child.returncode:
        raise SystemExit(f"{command[-4:]} exited with {child.returncode}")
    return seconds, peak, output


async def bare_fetch(port: int, user: str, password: str) -> int:
    """Baseline: UID SEARCH then UID FETCH BODY.PEEK[] in batches with aioimaplib; nothing stored."""
    import aioimaplib

    client = aioimaplib.IMAP4(host="127.0.0.1", port=port, timeout=60)
    await client.wait_hello_from_server()
    await client.login(user, password)
    await client.select("INBOX")
    response = await client.uid_search("ALL", charset=None)
    uids = [int(word) for word in response.lines[0].split()]
    fetched = 0
    for start in range(0, len(uids), BATCH):
        part = uids[start : start + BATCH]
        reply = await client.uid("fetch", f"{part[0]}:{part[-1]}", "(UID BODY.PEEK[])")
        fetched += sum(1 for line in reply.lines if isinstance(line, bytearray))
    await client.logout()
    return fetched


def child_main(args: list[str]) -> None:
    """`--bare-fetch PORT USER PASSWORD`: the baseline child; prints the number of mails fetched."""
    port, user, password = int(args[0]), args[1], args[2]
    print(json.dumps({"fetched": asyncio.run(bare_fetch(port, user, password))}))


def accept_only_main(args: list[str]) -> None:
    """`--accept-only URL COUNT SIZE`: the database ceiling, Intake.accept() in `mailgate imap`'s threads."""
    from concurrent.futures import ThreadPoolExecutor

    from mailgate.commands.imap import db_threads_for
    from mailgate.intake import ImapOrigin, Intake
    from schema import InboundSource

    url, count, size = args[0], int(args[1]), int(args[2])
    mails = make_mails(count, size, "accept-only")
    engine = create_engine_for(url)
    intake = Intake(session_factory(engine))

    def accept(numbered: tuple[int, bytes]) -> None:
        intake.accept(numbered[1], InboundSource.IMAP, None, (), imap=ImapOrigin(999_999, 1, numbered[0]))

    start = time.monotonic()
    with ThreadPoolExecutor(db_threads_for(engine)) as pool:
        list(pool.map(accept, enumerate(mails, start=1)))
    print(json.dumps({"seconds": time.monotonic() - start}))
    engine.dispose()


def measure(label: str, command: list[str], env: dict[str, str], mails: int) -> dict[str, float]:
    """Run and print one measurement."""
    seconds, rss, _ = run_measured(command, env)
    rate = mails / seconds
    print(f"{label:<34} {mails:>6} mails {seconds:7.1f} s {rate:8.0f} mails/s  peak RSS {rss:6.1f} MiB")
    return {"seconds": seconds, "rate": rate, "rss": rss}


def main() -> None:
    """Seed, measure baseline and poller, check every mail is in the spool exactly once."""
    if sys.argv[1:2] == ["--bare-fetch"]:
        child_main(sys.argv[2:])
        return
    if sys.argv[1:2] == ["--accept-only"]:
        accept_only_main(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mails", type=int, default=10_000)
    parser.add_argument("--small", type=int, default=2_000)
    parser.add_argument("--size", type=int, default=4_000, help="body bytes per mail")
    options = parser.parse_args()
    harness = load_dovecot_harness()
    server = harness.Dovecot.create(USERS)
    dbname = scratch_database()
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{dbname}"
    try:
        server.start()
        server.write_maildir("backlog", make_mails(options.mails, options.size, "backlog"))
        server.write_maildir("small", make_mails(options.small, options.size, "small"))
        ids = add_accounts(url, server.imap_port)
        env = {**os.environ, "MAILGATE_DATABASE_URL": url, "MAILGATE_LOG_LEVEL": "WARNING"}
        env.pop("MAILGATE_BROKER_URL", None)
        python = sys.executable
        cpus = os.cpu_count()
        print(f"IMAP backlog import, {options.size}-byte bodies, Dovecot {server.imap_port}, {cpus} CPUs")
        for user, count in (("backlog", options.mails), ("small", options.small)):
            bare = [python, __file__, "--bare-fetch", str(server.imap_port), user, USERS[user]]
            measure(f"baseline bare UID FETCH ({user})", bare, env, count)  # also warms Dovecot's index
        accept_only = [python, __file__, "--accept-only", url, str(options.mails), str(options.size)]
        _, rss, output = run_measured(accept_only, env)
        inner = json.loads(output)["seconds"]
        print(
            f"{'ceiling: Intake.accept() only':<34} {options.mails:>6} mails {inner:7.1f} s "
            f"{options.mails / inner:8.0f} mails/s  peak RSS {rss:6.1f} MiB  (threads as mailgate imap)"
        )
        results = {}
        for user, count in (("small", options.small), ("backlog", options.mails)):
            poller = [
                python,
                "-c",
                "from mailgate.cli import main; main()",
                "imap",
                "--once",
                "--account",
                str(ids[user]),
            ]
            results[user] = measure(f"mailgate imap --once ({user})", poller, env, count)
            rows, distinct, span = spool_report(url, ids[user])
            steady = rows / span if span else float("nan")
            print(
                f"  spool rows {rows}, distinct UIDs {distinct}, expected {count}; "
                f"first to last commit {span:.1f} s = {steady:.0f} mails/s without process start"
            )
            if rows != count or distinct != count:
                raise SystemExit("spool does not hold every mail exactly once")
        growth = results["backlog"]["rss"] - results["small"]["rss"]
        print(f"peak RSS growth from {options.small} to {options.mails} mails: {growth:+.1f} MiB")
    finally:
        server.cleanup()
        drop_database(dbname)


if __name__ == "__main__":
    main()
