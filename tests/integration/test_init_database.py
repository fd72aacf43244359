"""`mailgate init` on both backends: schema, Znuny's seed rows, admin password, idempotence."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from argon2 import PasswordHasher
from click.testing import CliRunner
from sqlalchemy import Engine, func, inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mailgate.cli import cli
from mailgate.database import create_engine_for
from mailgate.initdb import DatabaseStateError, InitMode, alembic_config, init_database
from mailgate.settings import Settings
from schema import Base, Ticket, TicketType, User, mailgate_table_names, znuny_table_names
from schema.migrations import MIGRATIONS_DIR, VERSION_TABLE
from schema.seed_data import load_znuny_seed

pytestmark = pytest.mark.integration


def _snapshot(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    with engine.connect() as conn:
        return {
            name: [tuple(row) for row in conn.execute(select(table).order_by(*table.primary_key.columns))]
            for name, table in Base.metadata.tables.items()
        }


def test_fresh_database_gets_all_tables_and_the_seed(db_url: str) -> None:
    result = init_database(db_url)
    assert result.mode is InitMode.FRESH
    assert set(result.revisions_after) == set(ScriptDirectory(str(MIGRATIONS_DIR)).get_heads())
    engine = create_engine_for(db_url)
    try:
        tables = set(inspect(engine).get_table_names())
        assert tables == {*znuny_table_names(), *mailgate_table_names(), VERSION_TABLE}
        _assert_seed_matches(engine)
    finally:
        engine.dispose()


def _assert_seed_matches(engine: Engine) -> None:
    with engine.connect() as conn:
        for name, rows in load_znuny_seed().items():
            table = Base.metadata.tables[name]
            stored = {row.id: row._mapping for row in conn.execute(select(table))}
            assert sorted(stored) == [row["values"]["id"] for row in rows], name
            for row in rows:
                values = row["values"]
                got = stored[values["id"]]
                for column, value in values.items():
                    if (name, column) != ("users", "pw"):
                        assert got[column] == value, (name, column)
                for column in row["now"]:
                    assert isinstance(got[column], datetime), (name, column)


def test_admin_password_is_argon2_and_shown_once(db_url: str) -> None:
    first = init_database(db_url)
    assert first.admin_password is not None and len(first.admin_password) >= 20
    engine = create_engine_for(db_url)
    try:
        with Session(engine) as session:
            admin = session.get(User, 1)
            assert admin is not None and admin.login == "root@localhost"
            assert admin.pw.startswith("$argon2id$") and len(admin.pw) <= 128
            assert PasswordHasher().verify(admin.pw, first.admin_password)
        before = _snapshot(engine)
        second = init_database(db_url)
        assert second.mode is InitMode.MANAGED
        assert second.admin_password is None and not second.changed
        assert sum(second.seeded.values()) == 0
        assert _snapshot(engine) == before
    finally:
        engine.dispose()


def test_cli_init_prints_the_password_once(db_url: str) -> None:
    runner = CliRunner()
    env = {"MAILGATE_DATABASE_URL": db_url, "MAILGATE_CONFIG": ""}
    first = runner.invoke(cli, ["init"], env=env, catch_exceptions=False)
    assert first.exit_code == 0, first.output
    password_lines = [line for line in first.output.splitlines() if line.startswith("admin password: ")]
    assert len(password_lines) == 1
    password = password_lines[0].removeprefix("admin password: ")
    engine = create_engine_for(db_url)
    try:
        with Session(engine) as session:
            admin = session.get(User, 1)
            assert admin is not None
            assert PasswordHasher().verify(admin.pw, password)
    finally:
        engine.dispose()
    second = runner.invoke(cli, ["init"], env=env, catch_exceptions=False)
    assert second.exit_code == 0, second.output
    assert "admin password" not in second.output
    assert "nothing changed" in second.output


def test_new_rows_get_ids_after_the_seeded_ones(session: Session) -> None:
    new_type = TicketType(name="Incident", valid_id=1, create_by=1, change_by=1)
    new_type.create_time = new_type.change_time = datetime(2026, 1, 1)
    session.add(new_type)
    session.flush()
    seeded = len(load_znuny_seed()["ticket_type"])
    assert new_type.id == seeded + 1


def test_foreign_keys_are_enforced(session: Session) -> None:
    now = datetime(2026, 1, 1)
    ticket = Ticket(
        tn="2026010110000001", queue_id=999, ticket_lock_id=1, user_id=1, responsible_user_id=1,
        ticket_priority_id=3, ticket_state_id=1, timeout=0, until_time=0, escalation_time=0,
        escalation_update_time=0, escalation_response_time=0, escalation_solution_time=0,
        create_time=now, create_by=1, change_time=now, change_by=1,
    )  # fmt: skip
    session.add(ticket)
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_sqlite_runs_in_wal_mode(engine: Engine, backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("SQLite only")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_seed_row_counts(engine: Engine) -> None:
    with engine.connect() as conn:
        for name, rows in load_znuny_seed().items():
            table = Base.metadata.tables[name]
            assert conn.execute(select(func.count()).select_from(table)).scalar() == len(rows), name


def test_refuses_a_database_with_stray_znuny_tables(db_url: str) -> None:
    engine = create_engine_for(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE queue (id INTEGER PRIMARY KEY)"))
        with pytest.raises(DatabaseStateError):
            init_database(engine)
        assert set(inspect(engine).get_table_names()) == {"queue"}
    finally:
        engine.dispose()


def test_migrations_and_models_agree(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
        assert compare_metadata(context, Base.metadata) == []


def test_plain_postgresql_url_uses_psycopg3() -> None:
    engine = create_engine_for(Settings(database_url="postgresql://postgres@127.0.0.1:5432/test"))
    assert engine.dialect.driver == "psycopg"
    engine.dispose()


def test_downgrade_to_base_removes_every_table(db_url: str) -> None:
    init_database(db_url)
    engine = create_engine_for(db_url)
    try:
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "base")
        assert set(inspect(engine).get_table_names()) == {VERSION_TABLE}
        assert init_database(engine).mode is InitMode.FRESH
    finally:
        engine.dispose()


def test_refuses_to_attach_to_an_incomplete_znuny_database(db_url: str) -> None:
    engine = create_engine_for(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE ticket (id INTEGER PRIMARY KEY)"))
        with pytest.raises(DatabaseStateError, match="article_data_mime"):
            init_database(engine)
        assert set(inspect(engine).get_table_names()) == {"ticket"}
    finally:
        engine.dispose()


def test_sessions_work_in_utc(engine: Engine, backend: str) -> None:
    with engine.connect() as conn:
        if backend == "postgresql":
            assert conn.execute(text("SELECT current_setting('TimeZone')")).scalar() == "UTC"
        stamp = conn.execute(select(func.current_timestamp())).scalar()
    naive = stamp.replace(tzinfo=None) if isinstance(stamp, datetime) else datetime.fromisoformat(str(stamp))
    assert abs((naive - datetime.now(UTC).replace(tzinfo=None)).total_seconds()) < 120
