"""Web UI latency: ticket list and ticket view with 100,000 tickets and 500,000 articles in PostgreSQL.

Run: flock /tmp/mailgate-bench.lock .venv/bin/python bench/webui_bench.py [--tickets 100000]
     [--articles-per-ticket 5] [--requests 200] [--url postgresql+psycopg://.../db --skip-load] [--keep]

Needs PostgreSQL at 127.0.0.1:5432 (user postgres, trust). It creates a scratch database with
`mailgate init`, bulk-loads tickets, articles, article_data_mime rows (≈60-word bodies with a unique
reference each) and an attachment on every tenth article with COPY, then ANALYZEs. Requests go through
the real app (create_app, Flask test client, signed in as an agent of all ten queues, templates rendered),
so the figures include Flask, SQLAlchemy and Jinja but no network. Baseline measured in the same run:
GET /login (the framework floor). Target: p95 under 200 ms for the ticket list and the ticket view.
"""

from __future__ import annotations

import argparse
import random
import re
import secrets
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import psycopg
from argon2 import PasswordHasher

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from mailgate.initdb import init_database  # noqa: E402
from mailgate.settings import Settings  # noqa: E402
from schema.webui import ARTICLE_SEARCH_DOCUMENT  # noqa: E402
from webui.app import create_app  # noqa: E402

ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=test"
QUEUES = 10
_WORD_LIST = (
    "printer error invoice refund password login network outage laptop screen broken delivery order "
    "contract renewal license server backup restore email mailbox quota phone headset meeting room "
    "booking access badge vpn wifi slow crash update install software hardware replacement warranty "
    "shipping address payment card declined account locked reset request urgent please help thanks"
)
WORDS = tuple(_WORD_LIST.split(" "))
CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


def create_database() -> str:
    """A new empty database; returns its URL."""
    name = f"mg_webbench_{secrets.token_hex(4)}"
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def drop_database(url: str) -> None:
    """Drop the scratch database."""
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def conninfo(url: str) -> str:
    """libpq conninfo of a SQLAlchemy PostgreSQL URL."""
    return url.replace("postgresql+psycopg://", "postgresql://")


def _setup_rows(conn: psycopg.Connection, now: datetime) -> tuple[list[int], int]:
    """Two groups, ten queues, one agent with rw in both groups; returns (queue ids, agent id)."""
    audit = (now, 1, now, 1)
    groups = []
    for name in ("bench-a", "bench-b"):
        row = conn.execute(
            "INSERT INTO permission_groups (name, valid_id, create_time, create_by, change_time, change_by)"
            " VALUES (%s, 1, %s, %s, %s, %s) RETURNING id",
            (name, *audit),
        ).fetchone()
        assert row is not None
        groups.append(row[0])
    queues = []
    for index in range(QUEUES):
        row = conn.execute(
            "INSERT INTO queue (name, group_id, system_address_id, salutation_id, signature_id, follow_up_id,"
            " follow_up_lock, valid_id, create_time, create_by, change_time, change_by)"
            " VALUES (%s, %s, 1, 1, 1, 1, 0, 1, %s, %s, %s, %s) RETURNING id",
            (f"Bench queue {index}", groups[index % 2], *audit),
        ).fetchone()
        assert row is not None
        queues.append(row[0])
    row = conn.execute(
        "INSERT INTO users (login, pw, first_name, last_name, valid_id, create_time, create_by, change_time,"
        " change_by) VALUES ('bench-agent', %s, 'Bench', 'Agent', 1, %s, %s, %s, %s) RETURNING id",
        (PasswordHasher().hash("bench-password"), *audit),
    ).fetchone()
    assert row is not None
    agent = row[0]
    for group in groups:
        conn.execute(
            "INSERT INTO group_user (user_id, group_id, permission_key, create_time, create_by, change_time,"
            " change_by) VALUES (%s, %s, 'rw', %s, %s, %s, %s)",
            (agent, group, *audit),
        )
    return queues, agent


def _bodies(rng: random.Random) -> list[str]:
    return [" ".join(rng.choices(WORDS, k=60)) for _ in range(2000)]


def _ticket_rows(
    count: int, queues: list[int], agent: int, start: datetime, rng: random.Random
) -> Iterator[tuple]:
    states = [1, 4, 4, 6, 2, 2, 2, 2, 3]  # new, open, pending reminder, closed successful/unsuccessful
    for tid in range(1, count + 1):
        created = start + timedelta(seconds=tid * 30)
        title = f"{rng.choice(WORDS).capitalize()} {rng.choice(WORDS)} {rng.choice(WORDS)} #{tid}"
        yield (
            tid, f"2026{tid:010d}", title, queues[tid % len(queues)], 1, 1, agent if tid % 7 == 0 else 1,
            1, 3, rng.choice(states), f"customer{tid % 500}", f"c{tid % 5000}@customer{tid % 500}.example",
            0, 0, 0, 0, 0, 0, 0, created, 1, created + timedelta(minutes=tid % 600), 1,
        )  # fmt: skip


def load(url: str, tickets: int, per_ticket: int) -> None:
    """Bulk-load tickets, articles, MIME rows and attachments with COPY; rebuild the search index after."""
    rng = random.Random(42)
    now = datetime(2026, 11, 26, 12, 0, 0)
    start = now - timedelta(seconds=tickets * 30 + 86400)
    bodies = _bodies(rng)
    with psycopg.connect(conninfo(url)) as conn:
        queues, agent = _setup_rows(conn, now)
        conn.execute("DROP INDEX IF EXISTS mailgate_article_search")
        with conn.cursor().copy(
            "COPY ticket (id, tn, title, queue_id, ticket_lock_id, type_id, user_id, responsible_user_id,"
            " ticket_priority_id, ticket_state_id, customer_id, customer_user_id, timeout, until_time,"
            " escalation_time, escalation_update_time, escalation_response_time, escalation_solution_time,"
            " archive_flag, create_time, create_by, change_time, change_by) FROM STDIN"
        ) as copy:
            for row in _ticket_rows(tickets, queues, agent, start, rng):
                copy.write_row(row)
        _copy_articles(conn, tickets, per_ticket, start, bodies, rng)
        for table in ("ticket", "article", "article_data_mime", "article_data_mime_attachment"):
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
            )
        conn.commit()
        began = time.perf_counter()
        conn.execute(
            "CREATE INDEX mailgate_article_search ON article_data_mime "
            f"USING gin (({ARTICLE_SEARCH_DOCUMENT}))"
        )
        conn.commit()
        print(f"  search index rebuilt in {time.perf_counter() - began:.1f} s", flush=True)
    with psycopg.connect(conninfo(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def _copy_articles(
    conn: psycopg.Connection,
    tickets: int,
    per_ticket: int,
    start: datetime,
    bodies: list[str],
    rng: random.Random,
) -> None:
    article_id = 0
    cur_a, cur_m, cur_f = conn.cursor(), conn.cursor(), conn.cursor()
    with (
        cur_a.copy(
            "COPY article (id, ticket_id, article_sender_type_id, communication_channel_id,"
            " is_visible_for_customer, search_index_needs_rebuild, create_time, create_by, change_time,"
            " change_by) FROM STDIN"
        ) as articles,
    ):
        for tid in range(1, tickets + 1):
            for index in range(per_ticket):
                article_id += 1
                created = start + timedelta(seconds=tid * 30 + index * 600)
                sender = 3 if index % 2 == 0 else 1
                articles.write_row(
                    (
                        article_id,
                        tid,
                        sender,
                        1 if index != 3 else 3,
                        int(index != 3),
                        0,
                        created,
                        1,
                        created,
                        1,
                    )
                )
    article_id = 0
    with cur_m.copy(
        "COPY article_data_mime (id, article_id, a_from, a_to, a_subject, a_message_id, a_content_type,"
        " a_body, incoming_time, create_time, create_by, change_time, change_by) FROM STDIN"
    ) as mime:
        for tid in range(1, tickets + 1):
            for index in range(per_ticket):
                article_id += 1
                created = start + timedelta(seconds=tid * 30 + index * 600)
                customer = f"Customer {tid % 5000} <c{tid % 5000}@customer{tid % 500}.example>"
                body = f"{rng.choice(bodies)}\nreference ref{article_id}x\n"
                mime.write_row((
                    article_id, article_id, customer if index % 2 == 0 else "Agent <support@example.org>",
                    "support@example.org", f"Re: ticket {tid}", f"<a{article_id}@bench.example>",
                    "text/plain; charset=utf-8", body, int(created.timestamp()), created, 1, created, 1,
                ))  # fmt: skip
    with cur_f.copy(
        "COPY article_data_mime_attachment (article_id, filename, content_size, content_type, content,"
        " disposition, create_time, create_by, change_time, change_by) FROM STDIN"
    ) as files:
        for aid in range(1, article_id + 1, 10):
            files.write_row(
                (
                    aid,
                    f"scan-{aid}.pdf",
                    "12",
                    "application/pdf",
                    "JVBERi0xLjQgZmFrZQ==",
                    "attachment",
                    start,
                    1,
                    start,
                    1,
                )
            )


def percentile(values: list[float], share: float) -> float:
    """The share-quantile (nearest rank) of the values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def measure(client: object, paths: Callable[[int], str], requests: int) -> list[float]:
    """Milliseconds per GET of paths(i), after five warm-up requests; every answer must be 200."""
    get = client.get  # type: ignore[attr-defined]
    for i in range(5):
        get(paths(i))
    times = []
    for i in range(requests):
        began = time.perf_counter()
        response = get(paths(i))
        times.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, (paths(i), response.status_code)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--articles-per-ticket", type=int, default=5)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--url", help="use this database instead of a new one")
    parser.add_argument("--skip-load", action="store_true", help="the database at --url is loaded already")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()
    url = args.url or create_database()
    try:
        if not args.skip_load:
            init_database(url)
            began = time.perf_counter()
            load(url, args.tickets, args.articles_per_ticket)
            total = args.tickets * args.articles_per_ticket
            print(f"loaded {args.tickets} tickets, {total} articles in {time.perf_counter() - began:.1f} s")
        run(url, args.tickets, args.requests)
    finally:
        if not args.keep and not args.url:
            drop_database(url)
        elif args.keep:
            print(f"kept {url}")


def run(url: str, tickets: int, requests: int) -> None:
    """Sign in and time every scenario; print p50/p95/max and the ratio to the baseline."""
    settings = Settings(database_url=url, secret_key="bench")
    app = create_app(settings)
    client = app.test_client()
    token = CSRF.search(client.get("/login").get_data(as_text=True))
    assert token
    signed = client.post(
        "/login", data={"login": "bench-agent", "password": "bench-password", "csrf_token": token.group(1)}
    )
    assert signed.status_code == 302, signed.status_code
    rng = random.Random(5)
    ids = [rng.randint(1, tickets) for _ in range(requests + 5)]
    pages = [rng.randint(1, 200) for _ in range(requests + 5)]
    words = [rng.choice(WORDS) for _ in range(requests + 5)]
    with psycopg.connect(conninfo(url)) as conn:
        queue_ids = [
            row[0] for row in conn.execute("SELECT id FROM queue WHERE name LIKE 'Bench queue %' ORDER BY id")
        ]
    scenarios: list[tuple[str, Callable[[int], str]]] = [
        ("baseline: GET /static/mailgate.css", lambda i: "/static/mailgate.css"),
        ("overview (counts per queue and state)", lambda i: "/"),
        ("ticket list, all queues, newest first", lambda i: "/tickets"),
        ("ticket list, page 1..200", lambda i: f"/tickets?page={pages[i]}"),
        (
            "ticket list, one queue, state open",
            lambda i: f"/tickets?queue={queue_ids[i % len(queue_ids)]}&state=open",
        ),
        ("ticket list, sorted by last change", lambda i: f"/tickets?sort=changed&page={pages[i] % 20 + 1}"),
        (
            "ticket list, sorted by title asc",
            lambda i: f"/tickets?sort=title&dir=asc&page={pages[i] % 20 + 1}",
        ),
        ("ticket list, my tickets", lambda i: "/tickets?owner=me"),
        ("search: body reference (rare)", lambda i: f"/tickets?q=ref{ids[i] * 5}x"),
        ("search: ticket number", lambda i: f"/tickets?q=2026{ids[i]:010d}"),
        ("search: sender address", lambda i: f"/tickets?q=c{ids[i] % 5000}@customer{ids[i] % 500}.example"),
        ("search: common word", lambda i: f"/tickets?q={words[i]}"),
        ("ticket view (5 articles)", lambda i: f"/tickets/{ids[i]}"),
    ]
    baseline = 0.0
    print(f"{'scenario':45} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'p95/base':>9}")
    for name, paths in scenarios:
        times = measure(client, paths, requests)
        p50, p95 = statistics.median(times), percentile(times, 0.95)
        if not baseline:
            baseline = p95
        print(f"{name:45} {p50:8.1f} {p95:8.1f} {max(times):8.1f} {p95 / baseline:9.1f}", flush=True)
    app.extensions["mailgate"].close()


if __name__ == "__main__":
    main()
