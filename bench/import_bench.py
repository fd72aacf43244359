"""Bulk import throughput: `mailgate import` of a 10,000-mail mbox (5 KB mails) into PostgreSQL.

Run: .venv/bin/python bench/import_bench.py [--mails 10000] [--mbox-gb 0]

Needs PostgreSQL at 127.0.0.1:5432 (user postgres, trust). Measured in the same run:
  split      reading and splitting the mbox only (the floor set by the file reader)
  split+sha  the same, plus unquoting and the sha256 that the import computes
  accept     Intake.accept() of the same mails in a loop (the database floor of one mail per commit)
  import     the importer: first run (everything stored), and a re-run (everything already present)
With --mbox-gb N it also splits an N GB mbox and reports the peak memory of that (ru_maxrss).
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import resource
import secrets
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import psycopg
from sqlalchemy.orm import Session, sessionmaker

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from mailgate.database import create_engine_for, session_factory  # noqa: E402
from mailgate.importer.detect import SourceOptions, open_source  # noqa: E402
from mailgate.importer.items import SourceMail  # noqa: E402
from mailgate.importer.mbox import MboxSplitter  # noqa: E402
from mailgate.importer.run import Importer  # noqa: E402
from mailgate.initdb import init_database  # noqa: E402
from mailgate.intake import Intake  # noqa: E402
from schema import InboundSource  # noqa: E402

ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=test"
FROM_LINE = b"From customer@example.com Wed Nov 25 10:00:00 2026\n"
BODY = "The printer on the third floor shows error 0x42 again, says the customer. " * 64


def make_mail(number: int, tag: str) -> bytes:
    """A 5 KB plain-text mail with a body line that mbox quoting has to protect."""
    head = (
        f"From: Customer <c{number % 200}@customer.example>\nTo: support@example.org\n"
        f"Subject: Printer problem {number}\nMessage-ID: <{number}.{tag}@customer.example>\n"
        "Date: Wed, 25 Nov 2026 10:00:00 +0000\nContent-Type: text/plain; charset=utf-8\n\n"
    )
    return (head + "From the desk of the customer:\n" + BODY + "\n").encode()


def write_mbox(path: Path, count: int, tag: str) -> int:
    """Write `count` mails in mboxrd form; return the file size."""
    with path.open("wb") as out:
        for number in range(count):
            out.write(FROM_LINE + make_mail(number, tag).replace(b"\nFrom ", b"\n>From ") + b"\n")
    return path.stat().st_size


def timed(label: str, count: int, work: Callable[[], object]) -> float:
    """Run `work`, print its mails per second, return the seconds it took."""
    started = time.perf_counter()
    work()
    seconds = time.perf_counter() - started
    print(f"{label:38} {count:>7} mails {seconds:8.2f} s {count / seconds:10.0f} mails/s", flush=True)
    return seconds


def split_only(path: Path) -> int:
    with path.open("rb") as stream:
        return sum(1 for _ in MboxSplitter(stream, 50 << 20))


def split_and_hash(path: Path) -> int:
    source = open_source(path, SourceOptions(50 << 20))
    return sum(1 for item in source if isinstance(item, SourceMail) and hashlib.sha256(item.raw).digest())


def fresh_database() -> str:
    name = f"mg_bench_{secrets.token_hex(4)}"
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    init_database(url)
    return url


def drop_database(url: str) -> None:
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def bench_database(path: Path, count: int) -> None:
    """accept() loop and the importer with 1 and 4 workers, each on a fresh database."""
    _on_fresh_database(lambda sessions: _bench_accept_loop(sessions, path, count))
    for workers in (1, 4):
        _on_fresh_database(functools.partial(_bench_importer, path=path, count=count, workers=workers))


def _on_fresh_database(work: Callable[[sessionmaker[Session]], None]) -> None:
    url = fresh_database()
    engine = create_engine_for(url)
    try:
        work(session_factory(engine))
    finally:
        engine.dispose()
        drop_database(url)


def _bench_accept_loop(sessions: sessionmaker[Session], path: Path, count: int) -> None:
    intake = Intake(sessions)
    mails = [item.raw for item in open_source(path, SourceOptions(50 << 20)) if isinstance(item, SourceMail)]
    timed(
        "accept() loop, one commit per mail",
        count,
        lambda: [intake.accept(raw, InboundSource.IMPORT) for raw in mails],
    )


def _bench_importer(sessions: sessionmaker[Session], path: Path, count: int, workers: int) -> None:
    importer = Importer(Intake(sessions), sessions, workers=workers)
    source = open_source(path, SourceOptions(50 << 20))
    timed(f"importer --jobs {workers}, first run", count, lambda: _check(importer.run(source).stored, count))
    timed(
        f"importer --jobs {workers}, re-run",
        count,
        lambda: _check(importer.run(source).already_present, count),
    )


def _check(got: int, expected: int) -> None:
    if got != expected:
        raise SystemExit(f"expected {expected}, got {got}")


def bench_big_mbox(folder: Path, gigabytes: float) -> None:
    """Split an mbox of the given size and report the peak resident memory of this process."""
    count = int(gigabytes * (1 << 30) / 5200)
    path = folder / "big.mbox"
    size = write_mbox(path, count, uuid.uuid4().hex)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    timed(f"split {size / (1 << 30):.2f} GB mbox", count, lambda: _check(split_and_hash(path), count))
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"peak RSS before {before / 1024:.0f} MB, after {after / 1024:.0f} MB", flush=True)
    path.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mails", type=int, default=10_000)
    parser.add_argument("--mbox-gb", type=float, default=0.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        if args.mbox_gb:
            bench_big_mbox(Path(folder), args.mbox_gb)
        path = Path(folder) / "bench.mbox"
        size = write_mbox(path, args.mails, uuid.uuid4().hex)
        print(f"mbox: {args.mails} mails, {size / (1 << 20):.1f} MB", flush=True)
        timed("split only (baseline)", args.mails, lambda: _check(split_only(path), args.mails))
        timed("split + unquote + sha256", args.mails, lambda: _check(split_and_hash(path), args.mails))
        bench_database(path, args.mails)


if __name__ == "__main__":
    main()
