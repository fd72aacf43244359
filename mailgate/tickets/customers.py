"""Customers: find the customer_user row of a sender's address, or record one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from mailgate.errors import MailgateError
from mailgate.tickets.writer import without_nul
from parsers.model import Address
from schema import CustomerUser

SYSTEM_USER = 1
LOGIN_MAX = 200
EMAIL_MAX = 150
NAME_MAX = 100


FIND_BY_EMAIL = (
    select(CustomerUser.login, CustomerUser.customer_id)
    .where(func.lower(CustomerUser.email) == bindparam("email"))
    .order_by(CustomerUser.id)
    .limit(1)
)
FIND_BY_EMAILS = (
    select(func.lower(CustomerUser.email), CustomerUser.login, CustomerUser.customer_id)
    .where(func.lower(CustomerUser.email).in_(bindparam("emails", expanding=True)))
    .order_by(CustomerUser.id)
)
INSERT_IGNORING_CONFLICT = {
    name: dialect_insert(CustomerUser)
    .on_conflict_do_nothing(index_elements=["login"])
    .returning(CustomerUser.login, CustomerUser.customer_id)
    for name, dialect_insert in (("postgresql", postgresql_insert), ("sqlite", sqlite_insert))
}


@dataclass(frozen=True, slots=True)
class CustomerRef:
    """What a ticket stores about its customer: customer_user_id (login) and customer_id."""

    login: str
    customer_id: str


def _split_name(address: Address) -> tuple[str, str]:
    name = address.name.strip().strip("\"'")
    if "," in name:  # "Doe, Jane"
        last, _, first = name.partition(",")
        return first.strip()[:NAME_MAX], last.strip()[:NAME_MAX]
    first, _, last = name.rpartition(" ")
    if not first:
        return last[:NAME_MAX], ""
    return first[:NAME_MAX], last[:NAME_MAX]


def find_customer(session: Session, email: str) -> CustomerRef | None:
    """The customer_user whose email is this address (case-insensitive), if any."""
    row = session.connection().execute(FIND_BY_EMAIL, {"email": email.lower()}).first()
    return CustomerRef(row.login, row.customer_id) if row else None


def _insert_ignoring_conflict(session: Session, values: dict[str, object]) -> CustomerRef | None:
    """INSERT ... ON CONFLICT (login) DO NOTHING RETURNING; None when another worker got there first."""
    connection = session.connection()
    statement = INSERT_IGNORING_CONFLICT[connection.dialect.name]
    row = connection.execute(statement, without_nul(values)).first()
    return CustomerRef(row.login, row.customer_id) if row else None


def customer_email(address: Address) -> str:
    """The address as customer_user.email holds it (lower case, at most 150 characters)."""
    return address.email.strip().lower()[:EMAIL_MAX]


class KnownCustomers:
    """The customer_user rows of a batch's senders, read with one query and kept as the batch adds more.

    Only valid while nobody else can add a customer with one of these addresses: the caller holds
    the database's write lock (SQLite) or an advisory lock per address not yet known (PostgreSQL).
    """

    def __init__(self, emails: set[str], found: dict[str, CustomerRef]) -> None:
        self._emails = emails
        self._found = found

    @classmethod
    def load(cls, session: Session, emails: set[str]) -> KnownCustomers:
        """Read the customers of these (customer_email-normalised) addresses with one SELECT."""
        found: dict[str, CustomerRef] = {}
        if emails:
            rows = session.connection().execute(FIND_BY_EMAILS, {"emails": sorted(emails)})
            for email, login, customer_id in rows:
                found.setdefault(email, CustomerRef(login, customer_id))  # lowest id first, as find_customer
        return cls(set(emails), found)

    def lookup(self, email: str) -> tuple[bool, CustomerRef | None]:
        """(whether this address was read, its customer if it has one)."""
        return email in self._emails, self._found.get(email)

    def add(self, email: str, customer: CustomerRef) -> None:
        """Remember a customer the batch recorded."""
        self._emails.add(email)
        self._found[email] = customer


def find_or_record_customer(
    session: Session, address: Address, now: datetime, known: KnownCustomers | None = None
) -> CustomerRef:
    """The sender's customer_user; a new row (login = customer_id = address) when unknown."""
    email = customer_email(address)
    read, found = known.lookup(email) if known is not None else (False, None)
    if found is None and not read:
        found = find_customer(session, email)
    if found is not None:
        return found
    first, last = _split_name(address)
    values: dict[str, object] = {
        "login": email[:LOGIN_MAX],
        "email": email,
        "customer_id": email,
        "first_name": first or email,
        "last_name": last,
        "valid_id": 1,
        "create_time": now,
        "create_by": SYSTEM_USER,
        "change_time": now,
        "change_by": SYSTEM_USER,
    }
    recorded = _insert_ignoring_conflict(session, values) or find_customer(session, email)
    if recorded is None:
        raise MailgateError(f"customer {email!r} could neither be found nor recorded")
    if known is not None:
        known.add(email, recorded)
    return recorded
