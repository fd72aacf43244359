"""Customer lookups by address and by login use mailgate's lower() indexes instead of reading the table."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from sqlalchemy import Connection, Engine, Select, func, insert, select, text

from mailgate.tickets.customers import FIND_BY_EMAIL, FIND_BY_EMAILS
from schema import CustomerUser

pytestmark = pytest.mark.integration

CUSTOMERS = 5000


@pytest.fixture(scope="module")
def customers(engine: Engine) -> Iterator[Engine]:
    """The migrated database with enough customers that reading the whole table is the costly plan."""
    now = datetime(2026, 11, 26)
    rows = [
        {
            "login": f"Customer{n}@Example{n % 97}.com",
            "email": f"Customer{n}@Example{n % 97}.com",
            "customer_id": f"example{n % 97}.com",
            "first_name": "First",
            "last_name": f"Last{n}",
            "valid_id": 1,
            "create_time": now,
            "create_by": 1,
            "change_time": now,
            "change_by": 1,
        }
        for n in range(CUSTOMERS)
    ]
    with engine.begin() as conn:
        conn.execute(insert(CustomerUser), rows)
        conn.execute(text("ANALYZE"))
    yield engine
    with engine.begin() as conn:
        conn.execute(CustomerUser.__table__.delete())


def _plan(conn: Connection, statement: Select[tuple[object, ...]], **values: object) -> str:
    """The database's plan for exactly the statement the code runs, with these values bound."""
    expanded = statement.compile(dialect=conn.dialect).construct_expanded_state(values)
    explain = "EXPLAIN QUERY PLAN " if conn.dialect.name == "sqlite" else "EXPLAIN "
    params = expanded.parameters
    bound = tuple(params[name] for name in expanded.positiontup) if expanded.positiontup else params
    rows = conn.exec_driver_sql(explain + expanded.statement, bound)  # type: ignore[arg-type]
    return "\n".join(" ".join(map(str, row)) for row in rows)


def test_lookup_by_address_uses_the_index(customers: Engine) -> None:
    with customers.connect() as conn:
        one = _plan(conn, FIND_BY_EMAIL, email="customer17@example17.com")
        many = _plan(conn, FIND_BY_EMAILS, emails=["customer17@example17.com", "nobody@example.org"])
        found = conn.execute(FIND_BY_EMAILS, {"emails": ["customer17@example17.com"]}).all()
    assert "mailgate_customer_user_email" in one, one
    assert "mailgate_customer_user_email" in many, many
    assert [row.login for row in found] == ["Customer17@Example17.com"]


def test_lookup_by_login_uses_the_index(customers: Engine) -> None:
    by_login = select(CustomerUser.email).where(func.lower(CustomerUser.login) == "customer42@example42.com")
    with customers.connect() as conn:
        plan = _plan(conn, by_login)
        found = conn.execute(by_login).scalars().all()
    assert "mailgate_customer_user_login" in plan, plan
    assert found == ["Customer42@Example42.com"]
