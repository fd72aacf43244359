"""Outbox throughput: rows sent per second to an aiosmtpd sink (PostgreSQL), beside bare smtplib sends.

Run: flock /tmp/mailgate-bench.lock .venv/bin/python bench/outbox_bench.py [--rows 1000] [--threads 1 4]

Needs PostgreSQL at 127.0.0.1:5432 (user postgres, trust). It creates a scratch database, opens
tickets through the inbound pipeline, writes `--rows` agent answers with mailgate.tickets.reply for
each thread count and mode (setup, not timed), starts an aiosmtpd sink in a subprocess and times,
on N threads, each outbox id handed to:
  per-row  OutboxSender.send(id): one row per call (claim, render, freeze, SMTP, record), what the
           send_outbound actor ran before batching;
  batched  OutboxSender.send_due(id): what the actor runs now; the row plus other due rows, up to
           one batch, claimed and frozen in one commit, sent on the kept connection, marked in one.
Baseline in the same run: the same number of bare smtplib sends of same-sized mails to the same
sink on N threads, one kept connection per thread.
"""

from __future__ import annotations

import argparse
import secrets
import smtplib
import socket
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
from sqlalchemy import func, insert, select, update

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from mailgate.initdb import init_database  # noqa: E402
from mailgate.services import build_processor, build_services  # noqa: E402
from mailgate.settings import Settings  # noqa: E402
from mailgate.tickets.clock import now_utc  # noqa: E402
from mailgate.tickets.reply import reply  # noqa: E402
from notifier.actors import build_sender  # noqa: E402
from schema import InboundSource, OutboxMail, QueueAutoResponse, SystemAddress, TicketHistory  # noqa: E402

ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=test"
SECRET = "bench-secret"
FQDN = "mg.example.org"
TICKETS = 50
ANSWER = (
    "Hello,\n\n" + "We have replaced the toner and the printer works again. " * 40 + "\n\nRegards\nSupport\n"
)
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_listening(port: int, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError("the sink did not start")


def customer_mail(number: int) -> bytes:
    headers = [
        f"From: Customer {number} <c{number}@customer.example>",
        "To: support@example.org",
        f"Subject: Printer problem {number}",
        f"Message-ID: <{uuid.uuid4().hex}@customer.example>",
        "Date: Wed, 25 Nov 2026 10:00:00 +0000",
        "Content-Type: text/plain; charset=utf-8",
    ]
    return ("\r\n".join(headers) + "\r\n\r\nThe printer is broken.\r\n").encode()


def prepare(settings: Settings, rows: int) -> list[int]:
    """Tickets through the pipeline, then `rows` answers spread over them; returns the outbox ids."""
    services = build_services(settings)
    processor = build_processor(services)
    with services.sessions.begin() as session:
        address = update(SystemAddress).where(SystemAddress.id == 1)
        session.execute(address.values(value0="support@example.org", value1="Example Support"))
    tickets = []
    for number in range(TICKETS):
        spool = services.intake.accept(customer_mail(number), InboundSource.SMTP, "c@customer.example")
        ticket_id = processor.process(spool.spool_id).ticket_id
        assert ticket_id is not None
        tickets.append(ticket_id)
    ids = []
    for number in range(rows):
        with services.sessions.begin() as session:
            result = reply(
                session, tickets[number % TICKETS], 1, ANSWER, now=now_utc(), secret=SECRET, fqdn=FQDN
            )
            assert result.outbox_id is not None
            ids.append(result.outbox_id)
    with services.sessions.begin() as session:  # the tickets' own auto-replies are not this bench's rows
        others = update(OutboxMail).where(OutboxMail.state == "pending", OutboxMail.id.not_in(ids))
        session.execute(others.values(state="suppressed"))
    services.close()
    return ids


def prepare_auto_replies(settings: Settings, rows: int, first: int) -> list[int]:
    """`rows` new tickets through the pipeline, each with its auto-reply (queue Raw answers new mail)."""
    services = build_services(settings)
    processor = build_processor(services)
    with services.sessions() as session:
        before = session.scalar(select(func.max(OutboxMail.id))) or 0
    for number in range(first, first + rows):
        spool = services.intake.accept(customer_mail(number), InboundSource.SMTP, "c@customer.example")
        processor.process(spool.spool_id)
    with services.sessions.begin() as session:
        ids = list(
            session.scalars(
                select(OutboxMail.id)
                .where(OutboxMail.id > before, OutboxMail.kind == "auto_reply", OutboxMail.state == "pending")
                .order_by(OutboxMail.id)
            )
        )
        others = update(OutboxMail).where(OutboxMail.state == "pending", OutboxMail.id.not_in(ids))
        session.execute(others.values(state="suppressed"))
    services.close()
    if len(ids) != rows:
        with services.sessions() as session:
            why = session.scalars(select(TicketHistory.name).order_by(TicketHistory.id.desc()).limit(5)).all()
        raise AssertionError(f"{len(ids)} auto-replies for {rows} tickets: {why}")
    return ids


def answer_auto_replies(settings: Settings) -> None:
    """Queue Raw (where the bench's mail lands) sends Znuny's 'auto reply' to each new ticket."""
    services = build_services(settings)
    now = now_utc()
    with services.sessions.begin() as session:
        address = update(SystemAddress).where(SystemAddress.id == 1)
        session.execute(address.values(value0="support@example.org", value1="Example Support", queue_id=1))
        session.execute(
            insert(QueueAutoResponse).values(
                queue_id=1, auto_response_id=1, create_time=now, create_by=1, change_time=now, change_by=1
            )
        )
    services.close()


def outbox_rate(settings: Settings, ids: list[int], threads: int, mode: str) -> tuple[float, int]:
    """Rows per second through the sender on `threads` threads, each id handed once; and how many sent."""
    services = build_services(settings)
    sender = build_sender(services)
    run = sender.send if mode == "per-row" else sender.send_due
    with ThreadPoolExecutor(threads) as pool:
        start = time.perf_counter()
        list(pool.map(run, ids))
        elapsed = time.perf_counter() - start
    with services.sessions() as session:
        sent = session.scalar(select(func.count()).where(OutboxMail.id.in_(ids), OutboxMail.state == "sent"))
    services.close()
    assert sent == len(ids), f"{sent} of {len(ids)} sent"
    return len(ids) / elapsed, int(sent or 0)


def bare_rate(port: int, raw: bytes, count: int, threads: int) -> float:
    """Baseline: bare smtplib sendmail of the same-sized mail, one kept connection per thread."""
    local = threading.local()

    def send(_: int) -> None:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = smtplib.SMTP("127.0.0.1", port)
        client.sendmail("support@example.org", ["c1@customer.example"], raw)

    with ThreadPoolExecutor(threads) as pool:
        start = time.perf_counter()
        list(pool.map(send, range(count)))
        elapsed = time.perf_counter() - start
    return count / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--mode", choices=("per-row", "batched", "both"), default="both")
    parser.add_argument(
        "--kind", choices=("article", "auto_reply"), default="article",
        help="agents' answers (default), or the auto-replies new tickets get (a flood's outbound mail)",
    )  # fmt: skip
    args = parser.parse_args()
    name = f"mg_bench_{secrets.token_hex(4)}"
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    port = free_port()
    sink = subprocess.Popen([sys.executable, "-c", SINK, str(port)])
    try:
        url = f"postgresql://postgres@127.0.0.1:5432/{name}"
        init_database(url)
        settings = Settings(
            database_url=url,
            secret_key=SECRET,
            fqdn=FQDN,
            outbound_smtp=f"127.0.0.1:{port}",
            log_level="WARNING",
        )
        wait_listening(port)
        modes = ("per-row", "batched") if args.mode == "both" else (args.mode,)
        runs = [(threads, mode) for threads in args.threads for mode in modes]
        if args.kind == "auto_reply":
            answer_auto_replies(settings)
        print(
            f"outbox bench: {args.rows} {args.kind} rows per run, PostgreSQL, aiosmtpd sink in a subprocess"
        )
        for number, (threads, mode) in enumerate(runs):
            # prepared after the previous run: nothing else is due to drain
            if args.kind == "auto_reply":
                ids = prepare_auto_replies(settings, args.rows, number * args.rows)
            else:
                ids = prepare(settings, args.rows)
            rate, sent = outbox_rate(settings, ids, threads, mode)
            with build_services(settings).sessions() as session:
                raw = session.scalar(select(OutboxMail.raw).where(OutboxMail.id == ids[0])) or b""
            baseline = bare_rate(port, raw, args.rows, threads)
            print(
                f"  threads={threads} {mode:>7}: outbox {rate:8.1f} rows/s ({sent} sent)   "
                f"bare smtplib {baseline:8.1f} mails/s ({len(raw)} bytes)   ratio {rate / baseline:.2f}"
            )
    finally:
        sink.terminate()
        sink.wait(10)
        with psycopg.connect(ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
