"""Ingest throughput: spool rows turned into tickets per second, PostgreSQL + Redis, worker processes.

Run: .venv/bin/python bench/pipeline_bench.py [--mails 2000] [--processes 4] [--threads 1]

Needs PostgreSQL at 127.0.0.1:5432 (user postgres, trust) and Redis at 127.0.0.1:6379. It creates a
scratch database, stores 5 KB mails in the spool (70 % new tickets, 30 % replies by In-Reply-To),
starts `mailgate worker` processes, queues every row through Redis and waits until all are done.
Baselines measured in the same run: bare INSERT+COMMIT of the same raw mails (the database floor)
and the same pipeline in one thread of this process, one mail per transaction (process) and in
batches (process_batch, as the workers do).

Besides the rates it prints the CPU time per ticket of the worker processes and of the PostgreSQL
backends serving them (read from /proc): on a shared machine the rates vary with the load of
others, the CPU time per ticket much less, and 2 cores / (worker + PostgreSQL CPU per ticket) is
the ceiling on an idle 2-core machine.

Before/after figures: run this same script against an older checkout with
PYTHONPATH=/path/to/old/checkout (the worker processes inherit it); a checkout without batches
skips the batched single-thread line.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
import redis
from sqlalchemy import func, select

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from mailgate.initdb import init_database  # noqa: E402
from mailgate.services import build_processor, build_services  # noqa: E402
from mailgate.settings import Settings  # noqa: E402
from mailgate.workers.actors import declare_actors, redis_broker  # noqa: E402
from schema import InboundMail, InboundSource  # noqa: E402

ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=test"
REDIS_URL = "redis://127.0.0.1:6379/8"
BODY = "Hello support,\n\n" + "The printer on the third floor shows error 0x42 again. " * 85 + "\n\nRegards\n"


def make_mails(count: int, seed: int = 7) -> list[bytes]:
    """5 KB plain-text mails; about 30 % reply to an earlier one by In-Reply-To."""
    rng = random.Random(seed)
    mails: list[bytes] = []
    ids: list[str] = []
    for number in range(count):
        message_id = f"{uuid.uuid4().hex}@customer{number % 40}.example"
        headers = [
            f"From: Customer {number % 200} <c{number % 200}@customer{number % 40}.example>",
            "To: support@example.org",
            f"Subject: Printer problem {number}",
            f"Message-ID: <{message_id}>",
            "Date: Wed, 25 Nov 2026 10:00:00 +0000",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
        ]
        if ids and rng.random() < 0.3:
            parent = rng.choice(ids)
            headers += [f"In-Reply-To: <{parent}>", f"References: <{parent}>"]
        ids.append(message_id)
        mails.append(("\r\n".join(headers) + "\r\n\r\n" + BODY).encode())
    return mails


def scratch_database() -> str:
    name = f"mg_bench_{secrets.token_hex(4)}"
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name


def drop_database(name: str) -> None:
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def bare_insert_rate(dbname: str, mails: list[bytes]) -> float:
    """Baseline: one INSERT + COMMIT per raw mail into a scratch table, one connection."""
    with psycopg.connect(f"host=127.0.0.1 user=postgres dbname={dbname}") as conn:
        conn.execute("CREATE TABLE bench_floor (id bigserial primary key, raw bytea)")
        conn.commit()
        began = time.perf_counter()
        for raw in mails:
            conn.execute("INSERT INTO bench_floor (raw) VALUES (%s)", (raw,))
            conn.commit()
        return len(mails) / (time.perf_counter() - began)


def store(settings: Settings, mails: list[bytes]) -> tuple[list[int], float]:
    services = build_services(settings)
    began = time.perf_counter()
    ids = [services.intake.accept(raw, InboundSource.SMTP).spool_id for raw in mails]
    rate = len(ids) / (time.perf_counter() - began)
    services.close()
    return ids, rate


def single_thread_rate(settings: Settings, ids: list[int], *, batched: bool = False) -> float:
    """One thread of this process: each row in its own transaction, or as the actor does (batches)."""
    services = build_services(settings)
    processor = build_processor(services)
    began = time.perf_counter()
    if batched and not hasattr(processor, "process_batch"):
        return float("nan")  # an older checkout without batches
    for spool_id in ids:
        if batched:  # a row already taken by an earlier batch only lets this call drain waiting rows
            processor.process_batch(spool_id)
        else:
            processor.process(spool_id)
    rate = len(ids) / (time.perf_counter() - began)
    services.close()
    return rate


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of these processes so far (gone processes count 0)."""
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def worker_pids(pool: subprocess.Popen[bytes]) -> list[int]:
    """The `mailgate worker` parent and its worker processes."""
    children = Path(f"/proc/{pool.pid}/task/{pool.pid}/children").read_text().split()
    return [pool.pid, *map(int, children)]


def backend_pids(dbname: str) -> list[int]:
    """PostgreSQL backends connected to the bench database (the workers' pooled connections)."""
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", (dbname,)
        ).fetchall()
    return [row[0] for row in rows]


def wait_all_done(settings: Settings, ids: list[int], timeout: float) -> None:
    services = build_services(settings)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            with services.sessions() as session:
                left = session.scalar(
                    select(func.count())
                    .select_from(InboundMail)
                    .where(InboundMail.id.between(min(ids), max(ids)))
                    .where(InboundMail.state.in_(("received", "processing")))
                )
            if not left:
                return
            time.sleep(0.2)
        raise SystemExit(f"timed out with {left} rows unprocessed")
    finally:
        services.close()


def report_states(settings: Settings, ids: list[int]) -> None:
    """Every row must be done; print any that are not."""
    services = build_services(settings)
    with services.sessions() as session:
        rows = session.execute(
            select(InboundMail.state, func.count(), func.max(InboundMail.last_error))
            .where(InboundMail.id.between(min(ids), max(ids)))
            .group_by(InboundMail.state)
        ).all()
    services.close()
    for state, count, error in rows:
        if state != "done":
            print(f"  {count} rows {state}: {(error or '').splitlines()[:1]}")


def start_workers(settings: Settings, processes: int, threads: int) -> subprocess.Popen[bytes]:
    """`mailgate worker` on an empty spool, so its start-up sweep queues nothing twice."""
    env = {
        **os.environ,
        "MAILGATE_DATABASE_URL": settings.database_url,
        "MAILGATE_BROKER_URL": REDIS_URL,
        "MAILGATE_SECRET_KEY": settings.secret_key,
        "MAILGATE_LOG_LEVEL": "WARNING",
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from mailgate.cli import main; main()",
            "worker",
            "--processes",
            str(processes),
            "--threads",
            str(threads),
        ],
        env=env,
    )
    time.sleep(4)  # let the processes start and connect
    return worker


def worker_rate(
    settings: Settings, ids: list[int], pool: subprocess.Popen[bytes], dbname: str
) -> tuple[float, float, float]:
    """Queue every stored id through Redis to the workers; rows per second until all are done.

    Also returns the CPU seconds per row of the worker processes and of their PostgreSQL backends.
    """
    broker = redis_broker(REDIS_URL)
    actors = declare_actors(broker, lambda: build_processor(build_services(settings)))
    try:
        workers = worker_pids(pool)
        backends = backend_pids(dbname)  # backends that connect later count from their start (0 s)
        workers_before, backends_before = cpu_seconds(workers), cpu_seconds(backends)
        began = time.perf_counter()
        for spool_id in ids:
            actors.enqueue_inbound(spool_id)
        wait_all_done(settings, ids, timeout=600)
        rate = len(ids) / (time.perf_counter() - began)
        backends = sorted(set(backends) | set(backend_pids(dbname)))
        worker_cpu = (cpu_seconds(workers) - workers_before) / len(ids)
        backend_cpu = (cpu_seconds(backends) - backends_before) / len(ids)
        report_states(settings, ids)
        return rate, worker_cpu, backend_cpu
    finally:
        broker.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mails", type=int, default=2000)
    parser.add_argument("--single", type=int, default=300, help="mails for the in-process single-thread run")
    parser.add_argument("--processes", type=int, default=4)  # `mailgate worker`'s default on 2 cores
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    redis.Redis.from_url(REDIS_URL).flushdb()
    dbname = scratch_database()
    try:
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{dbname}"
        init_database(url)
        settings = Settings(database_url=url, broker_url=REDIS_URL, secret_key="bench")
        floor = bare_insert_rate(dbname, make_mails(500, seed=1))
        single_ids, _ = store(settings, make_mails(args.single, seed=2))
        single = single_thread_rate(settings, single_ids)
        batch_ids, _ = store(settings, make_mails(args.single, seed=4))
        batched = single_thread_rate(settings, batch_ids, batched=True)
        workers = start_workers(settings, args.processes, args.threads)
        try:
            ids, stored = store(settings, make_mails(args.mails, seed=3))
            rate, worker_cpu, backend_cpu = worker_rate(settings, ids, workers, dbname)
        finally:
            workers.terminate()
            workers.wait(60)
        size = len(make_mails(1)[0])
        print(f"mail size                           {size} bytes")
        print(f"baseline: bare INSERT+COMMIT        {floor:8.1f} rows/s")
        print(f"spool accept (intake, 1 thread)     {stored:8.1f} mails/s  ({stored / floor:.2f}x floor)")
        print(f"pipeline, 1 thread, 1 per tx        {single:8.1f} tickets/s ({single / floor:.2f}x floor)")
        print(
            f"pipeline, 1 thread, batches         {batched:8.1f} tickets/s ({batched / single:.2f}x 1 per tx)"
        )
        print(
            f"pipeline, {args.processes} worker processes x {args.threads} threads"
            f" {rate:8.1f} tickets/s ({rate / floor:.2f}x floor, {rate / single:.2f}x one thread)"
        )
        ceiling = 2 / (worker_cpu + backend_cpu)
        print(
            f"CPU per ticket: workers {worker_cpu * 1000:.2f} ms + PostgreSQL {backend_cpu * 1000:.2f} ms"
            f" -> {ceiling:.0f} tickets/s ceiling on 2 idle cores"
        )
        print(f"target: >= 250 tickets/s on 2 cores -> {'met' if rate >= 250 else 'NOT met'}")
    finally:
        drop_database(dbname)


if __name__ == "__main__":
    main()
