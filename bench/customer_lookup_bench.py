"""Customer lookups with many customers: the pipeline's by-address and the notifier's by-login query.

Run: flock /tmp/mailgate-bench.lock .venv/bin/python bench/customer_lookup_bench.py [--customers 100000]

On a fresh PostgreSQL database made by `mailgate init`, with --customers rows in customer_user, times
the exact statements the code runs (one batch of 32 sender addresses, one login) first without
mailgate's lower() indexes (as on an attached Znuny database before `mailgate init --search-indexes`)
and then with them, in the same run; prints mean milliseconds per lookup and the ratio.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import psycopg
from sqlalchemy import Engine, func, select, text

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from mailgate.database import create_engine_for  # noqa: E402
from mailgate.initdb import init_database  # noqa: E402
from mailgate.tickets.customers import FIND_BY_EMAILS  # noqa: E402
from schema import CustomerUser  # noqa: E402

ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
INDEXES = ("mailgate_customer_user_email", "mailgate_customer_user_login")
BATCH = 32
ROUNDS = 30


def fill(engine: Engine, customers: int) -> None:
    """Bulk-load customers in one INSERT ... SELECT (mixed-case addresses over 1,000 domains)."""
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO customer_user (login, email, customer_id, first_name, last_name, valid_id,"
                " create_time, create_by, change_time, change_by)"
                " SELECT 'Login' || g, 'Customer' || g || '@Example' || (g % 1000) || '.com',"
                " 'example' || (g % 1000), 'First', 'Last' || g, 1, now(), 1, now(), 1"
                " FROM generate_series(1, :n) g"
            ),
            {"n": customers},
        )
        conn.execute(text("ANALYZE customer_user"))


def timed(engine: Engine, lookup: Callable[[int], object]) -> float:
    """Mean milliseconds of one lookup over ROUNDS rounds (each with other values)."""
    spent = []
    with engine.connect() as conn:
        for round_number in range(ROUNDS):
            began = time.perf_counter()
            conn.execute(*lookup(round_number)).all()  # type: ignore[misc]
            spent.append((time.perf_counter() - began) * 1000)
    return statistics.mean(spent)


def lookups(customers: int) -> dict[str, Callable[[int], object]]:
    """The two statements with their values per round."""

    def by_address(round_number: int) -> object:
        numbers = [(round_number * BATCH + i) * 7 % customers for i in range(BATCH)]
        emails = [f"customer{n}@example{n % 1000}.com" for n in numbers]
        return FIND_BY_EMAILS, {"emails": emails}

    def by_login(round_number: int) -> object:
        login = f"login{round_number * 997 % customers}"
        return (select(CustomerUser.email).where(func.lower(CustomerUser.login) == login),)

    return {f"by address ({BATCH} senders)": by_address, "by login": by_login}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=100_000)
    args = parser.parse_args()
    name = f"customer_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    try:
        init_database(url)
        engine = create_engine_for(url)
        fill(engine, args.customers)
        with engine.begin() as conn:
            for index in INDEXES:
                conn.execute(text(f"DROP INDEX {index}"))
        without = {label: timed(engine, lookup) for label, lookup in lookups(args.customers).items()}
        with engine.begin() as conn:
            conn.execute(text("CREATE INDEX mailgate_customer_user_email ON customer_user (lower(email))"))
            conn.execute(text("CREATE INDEX mailgate_customer_user_login ON customer_user (lower(login))"))
            conn.execute(text("ANALYZE customer_user"))
        with_indexes = {label: timed(engine, lookup) for label, lookup in lookups(args.customers).items()}
        engine.dispose()
        print(f"PostgreSQL, {args.customers} customers, mean of {ROUNDS} lookups")
        for label, before in without.items():
            after = with_indexes[label]
            ratio = before / after
            print(f"{label:28} without index {before:8.2f} ms   with index {after:6.2f} ms   {ratio:6.1f}x")
    finally:
        with psycopg.connect(ADMIN, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


if __name__ == "__main__":
    main()
