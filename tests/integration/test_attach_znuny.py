"""Attach mode: on a database built by Znuny's own SQL files, `mailgate init` adds only mailgate_ tables.

The same Znuny-built database is the oracle for the fresh schema (mailgate's migrations must produce the
same columns, types, defaults and indexes) and for the shipped seed data (same ids and values).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from alembic.script import ScriptDirectory

from mailgate.database import create_engine_for
from mailgate.initdb import InitMode, init_database
from mailgate.searchindexes import create_search_indexes
from schema import mailgate_table_names, znuny_table_names
from schema.migrations import MIGRATIONS_DIR, VERSION_TABLE
from schema.seed_data import load_znuny_seed
from tests.support.znuny import conninfo, load_znuny, require_znuny_files

pytestmark = pytest.mark.integration

MAILGATE_TABLES = {*mailgate_table_names(), VERSION_TABLE}


@pytest.fixture
def znuny_url(pg_url_factory: Callable[[], str]) -> str:
    """A fresh PostgreSQL database loaded with schema, initial_insert and schema-post, in that order."""
    require_znuny_files()
    url = pg_url_factory()
    load_znuny(url)
    return url


@pytest.fixture(scope="module")
def znuny_reference(pg_url_factory: Callable[[], str]) -> str:
    """One Znuny-built database shared by the read-only comparisons of this module."""
    require_znuny_files()
    url = pg_url_factory()
    load_znuny(url)
    return url


def _rows(conn: psycopg.Connection[Any], sql: str) -> list[tuple[Any, ...]]:
    return list(conn.execute(sql).fetchall())


def snapshot(url: str) -> dict[str, Any]:
    """Everything of the database that is not mailgate's: tables, columns, constraints, indexes, data."""
    with psycopg.connect(conninfo(url)) as conn:
        tables = [r[0] for r in _rows(conn, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        theirs = sorted(t for t in tables if not t.startswith("mailgate_"))
        return {
            "tables": sorted(tables),
            "columns": _rows(conn, _COLUMNS_SQL),
            "constraints": _rows(conn, _CONSTRAINTS_SQL),
            "indexes": _rows(conn, _INDEXES_SQL),
            "triggers": _rows(conn, _TRIGGERS_SQL),
            "sequences": _rows(conn, _SEQUENCES_SQL),
            "data": {t: _rows(conn, _DATA_SQL.format(table=t)) for t in theirs},
        }


_DATA_SQL = """SELECT count(*), md5(coalesce(string_agg(x::text, chr(10) ORDER BY x::text), ''))
    FROM "{table}" x"""
_NOT_MAILGATE = "NOT {col} LIKE 'mailgate\\_%'"
_COLUMNS_SQL = f"""
    SELECT table_name, column_name, ordinal_position, data_type, character_maximum_length, is_nullable,
           column_default
    FROM information_schema.columns
    WHERE table_schema = 'public' AND {_NOT_MAILGATE.format(col="table_name")}
    ORDER BY 1, 3"""
_CONSTRAINTS_SQL = f"""
    SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
    FROM pg_constraint
    WHERE connamespace = 'public'::regnamespace AND {_NOT_MAILGATE.format(col="conrelid::regclass::text")}
    ORDER BY 1, 2"""
_INDEXES_SQL = f"""
    SELECT tablename, indexname, indexdef FROM pg_indexes
    WHERE schemaname = 'public' AND {_NOT_MAILGATE.format(col="tablename")}
    ORDER BY 1, 2"""
_TRIGGERS_SQL = f"""
    SELECT tgrelid::regclass::text, tgname, tgfoid::regproc::text FROM pg_trigger
    WHERE {_NOT_MAILGATE.format(col="tgrelid::regclass::text")}
    ORDER BY 1, 2"""
_SEQUENCES_SQL = f"""
    SELECT sequencename, last_value FROM pg_sequences
    WHERE schemaname = 'public' AND {_NOT_MAILGATE.format(col="sequencename")}
    ORDER BY 1"""


def test_attach_adds_only_mailgate_tables_and_touches_nothing(znuny_url: str) -> None:
    before = snapshot(znuny_url)
    result = init_database(znuny_url)
    assert result.mode is InitMode.ATTACH
    mailgate_head = ScriptDirectory(str(MIGRATIONS_DIR)).get_revisions("mailgate@head")
    assert result.revisions_after == tuple(script.revision for script in mailgate_head if script)
    assert result.admin_password is None and result.seeded == {}
    after = snapshot(znuny_url)
    assert set(after["tables"]) - set(before["tables"]) == MAILGATE_TABLES
    assert set(before["tables"]) <= set(after["tables"])
    for key in ("columns", "constraints", "indexes", "triggers", "sequences", "data"):
        assert after[key] == before[key], key
    again = init_database(znuny_url)
    assert again.mode is InitMode.ATTACH and not again.changed
    assert snapshot(znuny_url) == after


def test_search_indexes_on_an_attached_database_only_on_request(znuny_url: str) -> None:
    init_database(znuny_url)
    engine = create_engine_for(znuny_url)
    try:
        assert create_search_indexes(engine) == 5
        assert create_search_indexes(engine) == 5  # IF NOT EXISTS: a second run changes nothing
    finally:
        engine.dispose()
    with psycopg.connect(conninfo(znuny_url)) as conn:
        names = _rows(conn, "SELECT indexname FROM pg_indexes WHERE indexname LIKE 'mailgate\\_%'")
        valid = _rows(conn, "SELECT count(*) FROM pg_index WHERE NOT indisvalid")
    assert {row[0] for row in names} >= {
        "mailgate_ticket_change_time",
        "mailgate_ticket_title_search",
        "mailgate_article_search",
        "mailgate_customer_user_email",
        "mailgate_customer_user_login",
    }
    assert valid == [(0,)]


def test_attach_spool_is_usable(znuny_url: str) -> None:
    init_database(znuny_url)
    with psycopg.connect(conninfo(znuny_url)) as conn:
        conn.execute(
            "INSERT INTO mailgate_inbound (raw, sha256, size, source) VALUES (%s, %s, %s, 'pipe')",
            (b"Subject: x\r\n\r\nbody\r\n", "0" * 64, 19),
        )
        state = conn.execute("SELECT state, attempts FROM mailgate_inbound").fetchone()
    assert state == ("received", 0)


def _table_shape(url: str, table: str) -> dict[str, Any]:
    with psycopg.connect(conninfo(url)) as conn:
        columns = _rows(
            conn,
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, "
            "pg_get_expr(d.adbin, d.adrelid) FROM pg_attribute a "
            "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
            f"WHERE a.attrelid = '{table}'::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY 1",
        )
        # mailgate's own indexes on Znuny's tables (znuny_0004) are additions, not part of the oracle
        indexes = _rows(
            conn,
            f"SELECT indexdef FROM pg_indexes WHERE tablename = '{table}'"
            " AND indexname NOT LIKE 'mailgate\\_%' ORDER BY 1",
        )
        foreign = _rows(
            conn,
            "SELECT conname, replace(pg_get_constraintdef(oid), ' DEFERRABLE', '') FROM pg_constraint "
            f"WHERE conrelid = '{table}'::regclass AND contype = 'f' "
            "AND confrelid::regclass::text IN (" + ",".join(f"'{t}'" for t in znuny_table_names()) + ") "
            "ORDER BY 1",
        )
    return {"columns": columns, "indexes": indexes, "foreign_keys": foreign}


def test_fresh_schema_equals_znuny_built_schema(
    znuny_reference: str, pg_url_factory: Callable[[], str]
) -> None:
    fresh = pg_url_factory()
    init_database(fresh)
    for table in znuny_table_names():
        assert _table_shape(fresh, table) == _table_shape(znuny_reference, table), table


def test_shipped_seed_equals_what_znuny_inserts(znuny_reference: str) -> None:
    with psycopg.connect(conninfo(znuny_reference), row_factory=psycopg.rows.dict_row) as conn:
        for table, rows in load_znuny_seed().items():
            stored = conn.execute(f'SELECT * FROM "{table}" ORDER BY id').fetchall()
            assert [r["id"] for r in stored] == [row["values"]["id"] for row in rows], table
            for got, row in zip(stored, rows, strict=True):
                assert {k: got[k] for k in row["values"]} == row["values"], table
