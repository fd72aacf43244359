"""Embedded mode (`mailgate run` on SQLite): tickets/s of the in-process workers, web latency under a flood.

Run: flock /tmp/mailgate-bench.lock .venv/bin/python bench/embedded_bench.py [--mails 600] [--threads 2]
     [--flood-seconds 8] [--skip-web]

Needs nothing but this checkout. Each part runs on a fresh SQLite file made by `mailgate init`.

1. Processing: stores --mails 5 KB mails (those of bench/pipeline_bench.py: 70 % new tickets, 30 %
   replies), then hands every spool id to the in-process dispatcher of `mailgate run` without a broker
   (ThreadDispatcher on --threads threads, as in_process_workers builds it) and waits until all rows
   are done. Two ways are timed on the same mails: one row per transaction (InboundProcessor.process,
   what ThreadDispatcher did before) and batches (process_batch, what it does now and what the
   Dramatiq workers do). Then the same live: 4 threads store the mails (Intake.accept, one commit
   each) while the dispatcher processes them; it prints the storing rate and the end-to-end rate.
2. Web latency (needs the webui package): the real app (create_app, Flask test client, signed in)
   on the same file as `mailgate run` while 4 SMTP-like threads flood the intake (group commit) and
   the dispatcher processes what they store. GET /tickets and a ticket view, idle and under the flood,
   with the web sessions' transactions begun IMMEDIATE (the default for every session) and deferred
   (mailgate.database.read_only, as a read-only page could ask for).

Before/after figures for the BEGIN itself: run with PYTHONPATH=/path/to/older/checkout.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import func, select, text

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(1, str(REPO / "bench"))

from pipeline_bench import make_mails  # noqa: E402

from mailgate import database  # noqa: E402
from mailgate.initdb import init_database  # noqa: E402
from mailgate.services import Services, build_processor, build_services  # noqa: E402
from mailgate.settings import Settings  # noqa: E402
from mailgate.workers.dispatch import ThreadDispatcher  # noqa: E402
from schema import InboundMail, InboundSource  # noqa: E402

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
FLOOD_THREADS = 4


class RowDispatcher(ThreadDispatcher):
    """ThreadDispatcher as it was: one spool row per transaction."""

    def _run(self, spool_id: int) -> None:
        self._processor.process(spool_id)


@contextmanager
def fresh_services(folder: Path) -> Iterator[Services]:
    """Services on a new SQLite file made by mailgate init."""
    url = f"sqlite:///{folder / f'embedded-{uuid.uuid4().hex[:8]}.db'}"
    init_database(url)
    services = build_services(Settings(database_url=url, secret_key="bench", fqdn="mg.example.org"))
    try:
        yield services
    finally:
        services.close()


def waiting(services: Services) -> int:
    """Spool rows not yet processed."""
    with services.sessions() as session:
        states = ("received", "processing")
        return int(session.scalar(select(func.count()).where(InboundMail.state.in_(states))) or 0)


def processing_rate(folder: Path, mails: list[bytes], threads: int, batched: bool) -> float:
    """Tickets/s of the in-process dispatcher on rows stored beforehand."""
    with fresh_services(folder) as services:
        ids = [services.intake.accept(raw, InboundSource.SMTP).spool_id for raw in mails]
        processor = build_processor(services)
        with ThreadPoolExecutor(threads, thread_name_prefix="process") as executor:
            kind = ThreadDispatcher if batched else RowDispatcher
            dispatcher = kind(processor, executor)
            began = time.perf_counter()
            for spool_id in ids:
                dispatcher.enqueue_inbound(spool_id)
        elapsed = time.perf_counter() - began  # the pool has drained: every message was handled
        left = waiting(services)
        assert left == 0, f"{left} rows left unprocessed"
        return len(ids) / elapsed


def live_rate(folder: Path, mails: list[bytes], threads: int, batched: bool) -> tuple[float, float]:
    """Mails stored by 4 SMTP-like threads while the dispatcher processes them: (stored/s, tickets/s)."""
    with fresh_services(folder) as services:
        processor = build_processor(services)
        with ThreadPoolExecutor(threads, thread_name_prefix="process") as executor:
            kind = ThreadDispatcher if batched else RowDispatcher
            services.intake.on_stored(kind(processor, executor).enqueue_inbound)
            began = time.perf_counter()
            with ThreadPoolExecutor(FLOOD_THREADS) as smtp:
                futures = [smtp.submit(services.intake.accept, raw, InboundSource.SMTP) for raw in mails]
                for future in futures:
                    future.result()
            stored = time.perf_counter() - began
        elapsed = time.perf_counter() - began
        services.intake.on_stored(None)
        assert waiting(services) == 0
        return len(mails) / stored, len(mails) / elapsed


def percentile(values: list[float], share: float) -> float:
    """The share-quantile (nearest rank) of the values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def add_agent(services: Services) -> None:
    """An agent with rw in every group, to sign in with."""
    from argon2 import PasswordHasher

    with services.sessions.begin() as session:
        session.execute(
            text(
                "INSERT INTO users (login, pw, first_name, last_name, valid_id, create_time, create_by,"
                " change_time, change_by) VALUES ('bench', :pw, 'B', 'A', 1, CURRENT_TIMESTAMP, 1,"
                " CURRENT_TIMESTAMP, 1)"
            ),
            {"pw": PasswordHasher().hash("bench-password")},
        )
        session.execute(
            text(
                "INSERT INTO group_user (user_id, group_id, permission_key, create_time, create_by,"
                " change_time, change_by) SELECT u.id, g.id, 'rw', CURRENT_TIMESTAMP, 1, CURRENT_TIMESTAMP,"
                " 1 FROM users u, permission_groups g WHERE u.login = 'bench'"
            )
        )


def signed_in_client(settings: Settings, deferred: bool) -> tuple[object, Callable[[], None]]:
    """A test client of the real app on its own services; web sessions begin deferred if asked."""
    from webui.app import create_app

    app = create_app(settings)
    services = app.extensions["mailgate"].services
    client = app.test_client()
    token = CSRF.search(client.get("/login").get_data(as_text=True))
    assert token
    answer = client.post(
        "/login", data={"login": "bench", "password": "bench-password", "csrf_token": token[1]}
    )
    assert answer.status_code == 302, answer.status_code
    if deferred:  # after signing in: the sign-in writes (it reads first, so it needs IMMEDIATE)
        services.sessions.configure(bind=database.read_only(services.engine))
    return client, services.close


def page_times(client: object, paths: list[str], seconds: float) -> list[float]:
    """Milliseconds per GET, cycling through the paths for `seconds`."""
    get = client.get  # type: ignore[attr-defined]
    times: list[float] = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for path in paths:
            began = time.perf_counter()
            answer = get(path)
            times.append((time.perf_counter() - began) * 1000)
            assert answer.status_code == 200, (path, answer.status_code)
        time.sleep(0.01)
    return times


def flood(services: Services, mails: list[bytes], stop: threading.Event, counted: list[int]) -> None:
    """SMTP-like threads storing mails (new Message-IDs) through the group-commit writer until stopped."""
    stored = [0] * FLOOD_THREADS

    def one(number: int) -> None:
        index = number
        while not stop.is_set():
            raw = mails[index % len(mails)].replace(b"Message-ID: <", f"Message-ID: <f{index}.".encode(), 1)
            services.intake.submit(raw, InboundSource.SMTP).result(120)
            stored[number] += 1
            index += FLOOD_THREADS

    threads = [threading.Thread(target=one, args=(n,)) for n in range(FLOOD_THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    counted.append(sum(stored))


def web_latency(folder: Path, mails: list[bytes], threads: int, seconds: float) -> None:
    """Ticket list and ticket view latency, idle and while the intake is flooded, IMMEDIATE vs deferred."""
    print(f"\nweb (Flask test client, same SQLite file) during an intake flood of {FLOOD_THREADS} threads")
    print(
        f"{'sessions':10} {'load':6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'pages':>6} {'stored/s':>9}"
    )
    with fresh_services(folder) as services:
        add_agent(services)
        processor = build_processor(services)
        for raw in mails[:100]:
            processor.process(services.intake.accept(raw, InboundSource.SMTP).spool_id)
        paths = ["/tickets", "/tickets/1", "/"]
        with ThreadPoolExecutor(threads, thread_name_prefix="process") as executor:
            services.intake.on_stored(ThreadDispatcher(processor, executor).enqueue_inbound)
            for deferred in (False, True):
                client, close = signed_in_client(services.settings, deferred)
                name = "deferred" if deferred else "IMMEDIATE"
                while waiting(services):  # idle means idle: the last flood's rows are processed
                    time.sleep(0.2)
                report(name, "idle", page_times(client, paths, seconds / 2), 0, seconds / 2)
                stop = threading.Event()
                result: list[int] = []
                flooding = threading.Thread(target=flood, args=(services, mails, stop, result))
                flooding.start()
                times = page_times(client, paths, seconds)
                stop.set()
                flooding.join()
                report(name, "flood", times, result[0], seconds)
                close()
            services.intake.on_stored(None)


def report(name: str, load: str, times: list[float], stored: int, seconds: float) -> None:
    p50, p95 = statistics.median(times), percentile(times, 0.95)
    print(
        f"{name:10} {load:6} {p50:8.1f} {p95:8.1f} {max(times):8.1f} {len(times):6} {stored / seconds:9.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mails", type=int, default=600)
    parser.add_argument("--threads", type=int, default=2, help="processing threads (mailgate run's default)")
    parser.add_argument("--flood-seconds", type=float, default=8.0)
    parser.add_argument("--skip-web", action="store_true")
    args = parser.parse_args()
    mails = make_mails(args.mails)
    with tempfile.TemporaryDirectory(prefix="mailgate-embedded-") as tmp:
        folder = Path(tmp)
        row = processing_rate(folder, mails, args.threads, batched=False)
        batch = processing_rate(folder, mails, args.threads, batched=True)
        print(f"in-process dispatcher, SQLite, {args.mails} mails, {args.threads} threads")
        print(f"  one row per transaction (before): {row:7.1f} tickets/s")
        print(f"  batches (process_batch, now):     {batch:7.1f} tickets/s   ratio {batch / row:.2f}")
        print(f"live: {FLOOD_THREADS} SMTP-like threads store the mails while the dispatcher processes them")
        for name, batched in (("one row per transaction", False), ("batches", True)):
            stored, done = live_rate(folder, mails, args.threads, batched)
            print(f"  {name:24} stored {stored:7.1f} mails/s, all ticketed {done:7.1f} tickets/s")
        if not args.skip_web:
            web_latency(folder, mails, args.threads, args.flood_seconds)


if __name__ == "__main__":
    main()
