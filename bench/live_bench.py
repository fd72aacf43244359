"""Live-update poll cost: GET /live/changes with 100,000 tickets and 500,000 history rows in PostgreSQL.

Run: flock /tmp/mailgate-bench.lock .venv/bin/python bench/live_bench.py [--tickets 100000] [--requests 300]

Creates a scratch database with `mailgate init`, COPYs tickets and ticket_history rows (five per ticket)
into ten queues, ANALYZEs, and signs in an agent who may read five of them. Requests go through the real
app (create_app, Flask test client), so the figures include Flask and SQLAlchemy but no network.
Measured in the same run: GET /login (the framework floor), a poll with nothing new (the common case),
and a poll after 50 new tickets and 500 history rows arrived.
"""

from __future__ import annotations

import argparse
import io
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import psycopg
from argon2 import PasswordHasher

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from mailgate.initdb import init_database  # noqa: E402
from mailgate.settings import Settings  # noqa: E402
from webui.app import create_app  # noqa: E402

ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
QUEUES = 10
HISTORY_PER_TICKET = 5
START = datetime(2026, 1, 1)


def create_database() -> str:
    """A new empty database; returns its URL."""
    name = f"mg_livebench_{secrets.token_hex(4)}"
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def drop_database(url: str) -> None:
    """Drop the scratch database."""
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def _dsn(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def _copy(conn: psycopg.Connection, table: str, columns: str, rows: io.StringIO) -> None:
    rows.seek(0)
    with conn.cursor().copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        while chunk := rows.read(1 << 20):
            copy.write(chunk)


def _ticket_rows(first: int, count: int, queues: list[int]) -> io.StringIO:
    out = io.StringIO()
    for n in range(first, first + count):
        when = START + timedelta(minutes=n)
        out.write(
            f"{n}\t{20260101000000 + n}\tTicket {n}\t{queues[n % len(queues)]}\t1\t1\t1\t1\t3\t1\t"
            f"0\t0\t0\t0\t0\t0\t0\t{when}\t1\t{when}\t1\n"
        )
    return out


TICKET_COLUMNS = (
    "id, tn, title, queue_id, ticket_lock_id, type_id, user_id, responsible_user_id, ticket_priority_id, "
    "ticket_state_id, timeout, until_time, escalation_time, escalation_update_time, "
    "escalation_response_time, escalation_solution_time, archive_flag, create_time, create_by, change_time, "
    "change_by"
)
HISTORY_COLUMNS = (
    "name, history_type_id, ticket_id, type_id, queue_id, owner_id, priority_id, state_id, "
    "create_time, create_by, change_time, change_by"
)


def _history_rows(tickets: range, per_ticket: int, queues: list[int]) -> io.StringIO:
    out = io.StringIO()
    for n in tickets:
        when = START + timedelta(minutes=n)
        for _ in range(per_ticket):
            out.write(f"%%bench\t1\t{n}\t1\t{queues[n % len(queues)]}\t1\t3\t1\t{when}\t1\t{when}\t1\n")
    return out


def load(url: str, tickets: int) -> list[int]:
    """Queues, tickets and history rows; returns the queue ids."""
    with psycopg.connect(_dsn(url)) as conn:
        queues = [
            conn.execute(
                "INSERT INTO queue (name, group_id, system_address_id, salutation_id, signature_id,"
                " follow_up_id, follow_up_lock, valid_id, create_time, create_by, change_time, change_by)"
                " VALUES (%s, 1, 1, 1, 1, 1, 0, 1, now(), 1, now(), 1) RETURNING id",
                (f"Bench {n}",),
            ).fetchone()[0]  # type: ignore[index]
            for n in range(QUEUES)
        ]
        # only half of the queues in the agent's group: the poll must filter
        conn.execute(
            "INSERT INTO permission_groups (name, valid_id, create_time, create_by, change_time, change_by)"
            " VALUES ('bench-other', 1, now(), 1, now(), 1)"
        )
        conn.execute(
            "UPDATE queue SET group_id = (SELECT id FROM permission_groups WHERE name = 'bench-other')"
            " WHERE id = ANY(%s)",
            (queues[QUEUES // 2 :],),
        )
        _copy(conn, "ticket", TICKET_COLUMNS, _ticket_rows(1000, tickets, queues))
        _copy(conn, "ticket_history", HISTORY_COLUMNS, _history_rows(range(1000, 1000 + tickets), 5, queues))
        conn.execute("SELECT setval(pg_get_serial_sequence('ticket', 'id'), (SELECT max(id) FROM ticket))")
        conn.commit()
        conn.autocommit = True
        conn.execute("ANALYZE")
    return queues


def arrive(url: str, queues: list[int], tickets: int, history: int) -> None:
    """New tickets and history rows, as a burst of mail and agent actions would write them."""
    with psycopg.connect(_dsn(url)) as conn:
        top = conn.execute("SELECT max(id) FROM ticket").fetchone()[0]  # type: ignore[index]
        _copy(conn, "ticket", TICKET_COLUMNS, _ticket_rows(top + 1, tickets, queues))
        _copy(conn, "ticket_history", HISTORY_COLUMNS, _history_rows(range(top - history, top), 1, queues))
        conn.commit()


def timed(call: Callable[[], object], requests: int) -> dict[str, float]:
    """p50/p95/max in milliseconds."""
    samples = []
    for _ in range(requests):
        began = time.perf_counter()
        call()
        samples.append((time.perf_counter() - began) * 1000)
    samples.sort()
    return {
        "p50": statistics.median(samples),
        "p95": samples[int(len(samples) * 0.95) - 1],
        "max": samples[-1],
    }


def main() -> None:
    """Load, sign in, measure, print."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    url = create_database()
    try:
        init_database(url)
        began = time.perf_counter()
        queues = load(url, args.tickets)
        print(f"loaded {args.tickets} tickets, {args.tickets * HISTORY_PER_TICKET} history rows "
              f"in {time.perf_counter() - began:.1f}s")  # fmt: skip
        app = create_app(Settings(database_url=url, secret_key="bench"), TESTING=True)
        with psycopg.connect(_dsn(url)) as conn:
            conn.execute(
                "INSERT INTO users (login, pw, first_name, last_name, valid_id, create_time, create_by,"
                " change_time, change_by) VALUES ('bench', %s, 'B', 'B', 1, now(), 1, now(), 1)",
                (PasswordHasher().hash("bench"),),
            )
            conn.execute(
                "INSERT INTO group_user (user_id, group_id, permission_key, create_time, create_by,"
                " change_time, change_by)"
                " SELECT id, 1, 'ro', now(), 1, now(), 1 FROM users WHERE login = 'bench'"
            )
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = page.split('name="csrf_token" value="')[1].split('"')[0]
        assert (
            client.post(
                "/login", data={"login": "bench", "password": "bench", "csrf_token": token}
            ).status_code
            == 302
        )
        cursor = client.get("/live/changes").get_json()["cursor"]
        poll = f"/live/changes?h={cursor['h']}&t={cursor['t']}"
        results = {
            "GET /login (floor)": timed(lambda: client.get("/login"), args.requests),
            "poll, nothing new": timed(lambda: client.get(poll), args.requests),
        }
        arrive(url, queues, 50, 500)
        found = client.get(poll).get_json()
        results["poll, 50 new tickets + 500 history rows"] = timed(lambda: client.get(poll), args.requests)
        for name, figures in results.items():
            p50, p95, top = figures["p50"], figures["p95"], figures["max"]
            print(f"{name:45s} p50 {p50:6.2f} ms  p95 {p95:6.2f} ms  max {top:6.2f} ms")
        print(f"answer after the burst: {found}")
    finally:
        drop_database(url)


if __name__ == "__main__":
    main()
