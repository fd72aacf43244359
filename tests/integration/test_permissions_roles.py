"""Effective agent permissions (mailgate.permissions): group_user rows plus the valid roles' group_role rows.

On SQLite, PostgreSQL and a Znuny-built PostgreSQL database (schema_url), through every reader that
decides who gets mail: My Queues subscribers, SLA alert addresses, agent-mail write permission.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, insert, select
from sqlalchemy.orm import Session

from mailgate.agentmail.agents import load_agent
from mailgate.database import create_engine_for
from mailgate.outbound.subscribers import queue_subscribers
from mailgate.permissions import (
    has_permission,
    user_has_permission,
    user_permission_rows,
    users_with_permission,
)
from mailgate.sla.alerts import queue_agent_addresses
from schema import GroupUser, PermissionGroup, PersonalQueue, Queue, User, UserPreference
from schema.agents import USER_EMAIL_KEY
from tests.support.roles import grant_through_role

pytestmark = pytest.mark.integration


def _audit() -> dict[str, object]:
    return {"create_time": func.now(), "create_by": 1, "change_time": func.now(), "change_by": 1}


@pytest.fixture(scope="module")
def schema_engine(schema_url: str) -> Iterator[Engine]:
    engine = create_engine_for(schema_url)
    yield engine
    engine.dispose()


@pytest.fixture
def db(schema_engine: Engine) -> Iterator[Session]:
    """A session on schema_url whose work is rolled back afterwards."""
    with schema_engine.connect() as connection:
        outer = connection.begin()
        with Session(bind=connection, join_transaction_mode="create_savepoint") as session:
            yield session
        outer.rollback()


def group(db: Session, valid: int = 1) -> int:
    return db.execute(
        insert(PermissionGroup)
        .values(name=f"g-{uuid.uuid4().hex[:10]}", valid_id=valid, **_audit())
        .returning(PermissionGroup.id)
    ).scalar_one()


def queue(db: Session, group_id: int) -> int:
    return db.execute(
        insert(Queue)
        .values(
            name=f"q-{uuid.uuid4().hex[:10]}", group_id=group_id, system_address_id=1, salutation_id=1,
            signature_id=1, follow_up_id=1, follow_up_lock=0, valid_id=1, **_audit(),
        )
        .returning(Queue.id)
    ).scalar_one()  # fmt: skip


def agent(db: Session, *, subscribed_to: int | None = None) -> int:
    login = f"a-{uuid.uuid4().hex[:10]}"
    user_id = db.execute(
        insert(User)
        .values(login=login, pw="x", first_name="A", last_name=login, valid_id=1, **_audit())
        .returning(User.id)
    ).scalar_one()
    db.execute(
        insert(UserPreference).values(
            user_id=user_id, preferences_key=USER_EMAIL_KEY, preferences_value=f"{login}@corp.example"
        )
    )
    if subscribed_to is not None:
        db.execute(insert(PersonalQueue).values(user_id=user_id, queue_id=subscribed_to))
    return user_id


def direct(db: Session, user_id: int, group_id: int, key: str) -> None:
    db.execute(insert(GroupUser).values(user_id=user_id, group_id=group_id, permission_key=key, **_audit()))


def holders(db: Session, group_id: int, key: str) -> set[int]:
    return set(db.scalars(users_with_permission(group_id, key)))


def held(db: Session, user_id: int) -> dict[int, frozenset[str]]:
    """The agent's keys per valid group, as stored (rw not expanded)."""
    found: dict[int, set[str]] = {}
    for group_id, _name, key in db.execute(user_permission_rows(user_id)):
        found.setdefault(group_id, set()).add(key)
    return {group_id: frozenset(keys) for group_id, keys in found.items()}


def test_rw_through_a_valid_role_counts_and_implies_every_other_key(db: Session) -> None:
    g = group(db)
    user = agent(db)
    grant_through_role(db, user, g, "rw")
    assert db.scalar(select(func.count()).select_from(GroupUser).where(GroupUser.user_id == user)) == 0
    assert held(db, user) == {g: frozenset({"rw"})}
    for key in ("ro", "rw", "note", "owner", "move_into", "create", "priority"):
        assert user_has_permission(db, user, g, key), key
        assert user in holders(db, g, key), key


def test_ro_through_a_role_does_not_allow_writing(db: Session) -> None:
    g = group(db)
    user = agent(db)
    grant_through_role(db, user, g, "ro")
    assert user_has_permission(db, user, g, "ro")
    assert not user_has_permission(db, user, g, "rw")
    assert not user_has_permission(db, user, g, "note")
    assert user in holders(db, g, "ro") and user not in holders(db, g, "rw")


@pytest.mark.parametrize("grant", [{"role_valid": 2}, {"role_valid": 3}, {"value": 0}])
def test_an_invalid_role_or_permission_value_0_grants_nothing(db: Session, grant: dict[str, Any]) -> None:
    g = group(db)
    user = agent(db)
    grant_through_role(db, user, g, "rw", **grant)
    assert held(db, user) == {}
    assert not user_has_permission(db, user, g, "ro")
    assert holders(db, g, "ro") == set()


def test_only_valid_groups_count_directly_or_through_roles(db: Session) -> None:
    invalid = group(db, valid=2)
    user = agent(db)
    grant_through_role(db, user, invalid, "rw")
    direct(db, user, invalid, "rw")
    assert held(db, user) == {}
    assert not user_has_permission(db, user, invalid, "ro")
    assert holders(db, invalid, "rw") == set()


def test_group_user_and_roles_are_united_without_duplicates(db: Session) -> None:
    g, other = group(db), group(db)
    user = agent(db)
    direct(db, user, g, "ro")
    grant_through_role(db, user, g, "rw")
    grant_through_role(db, user, g, "rw")  # a second role with the same grant
    grant_through_role(db, user, other, "note")
    assert held(db, user) == {g: frozenset({"ro", "rw"}), other: frozenset({"note"})}
    assert list(db.scalars(users_with_permission(g, "rw"))) == [user]
    rows = db.scalars(select(User.id).where(has_permission(User.id, g, "rw"), User.id == user)).all()
    assert rows == [user]


def test_role_agents_are_notified_alerted_and_may_answer_by_mail(db: Session) -> None:
    g = group(db)
    q = queue(db, g)
    by_role, read_only, invalid_role, by_group = (agent(db, subscribed_to=q) for _ in range(4))
    grant_through_role(db, by_role, g, "rw")
    grant_through_role(db, read_only, g, "ro")
    grant_through_role(db, invalid_role, g, "rw", role_valid=2)
    direct(db, by_group, g, "rw")
    assert [s.user_id for s in queue_subscribers(db, q)] == sorted([by_role, by_group])
    emails = {s.email for s in queue_subscribers(db, q)}
    assert queue_agent_addresses(db, q) == sorted(emails)
    facts = {user: load_agent(db, user, g) for user in (by_role, read_only, invalid_role, by_group)}
    assert {user: f.can_write for user, f in facts.items() if f} == {
        by_role: True, read_only: False, invalid_role: False, by_group: True,
    }  # fmt: skip


def test_subscribers_are_read_in_one_statement(db: Session) -> None:
    g = group(db)
    q = queue(db, g)
    for _ in range(5):
        grant_through_role(db, agent(db, subscribed_to=q), g, "rw")
    db.flush()
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    connection = db.connection()
    event.listen(connection, "before_cursor_execute", count)
    try:
        assert len(queue_subscribers(db, q)) == 5
    finally:
        event.remove(connection, "before_cursor_execute", count)
    assert len(statements) == 1
