"""The models against Znuny's own DDL (../shared/znuny/schema.postgresql.sql and schema-post)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from sqlalchemy import Column, ForeignKeyConstraint, Index, Table, UniqueConstraint
from sqlalchemy.dialects import postgresql

import schema
from schema import Base

ZNUNY_DIR = Path(__file__).resolve().parents[2] / ".." / "shared" / "znuny"

MODELLED = {
    "ticket", "article", "article_data_mime", "article_data_mime_attachment", "article_data_mime_plain",
    "queue", "system_address", "ticket_state", "ticket_state_type", "ticket_priority", "ticket_type",
    "ticket_lock_type", "ticket_history", "ticket_history_type", "article_sender_type",
    "communication_channel", "users", "customer_user", "permission_groups", "group_user", "valid",
    "follow_up_possible", "salutation", "signature", "auto_response", "auto_response_type",
    "queue_auto_response", "postmaster_filter", "mail_account", "mail_queue", "standard_template",
    "queue_standard_template", "sla", "ticket_number_counter", "user_preferences", "customer_preferences",
    "personal_queues", "roles", "role_user", "group_role",
}  # fmt: skip

_TABLE = re.compile(r"^CREATE TABLE (\w+) \((.*?)^\);", re.S | re.M)
_COLUMN = re.compile(r"^\s*(\w+) (\w+)(?: ?\((\d+)\))?(?: DEFAULT ('[^']*'|\S+))? (NOT NULL|NULL),?$")
_UNIQUE = re.compile(r"CONSTRAINT (\w+) UNIQUE \(([^)]*)\)")
_INDEX = re.compile(r"CREATE INDEX (\w+) ON (\w+) \(([^)]*)\);")
_FK = re.compile(r"ALTER TABLE (\w+) ADD CONSTRAINT (\w+) FOREIGN KEY \((\w+)\) REFERENCES (\w+) \((\w+)\);")

DDL_FAMILY = {
    "serial": "integer",
    "bigserial": "bigint",
    "integer": "integer",
    "bigint": "bigint",
    "smallint": "smallint",
    "varchar": "varchar",
    "text": "text",
    "timestamp": "timestamp",
}


def _znuny_file(name: str) -> str:
    path = ZNUNY_DIR / name
    if not path.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{path} is missing and CI=true")
        pytest.skip(f"{path} not present (../shared is not beside the repository)")
    return path.read_text(encoding="utf-8")


def parse_ddl(sql: str) -> dict[str, dict[str, object]]:
    """table -> columns {name: (family, length, nullable)}, pk, unique and index definitions."""
    tables: dict[str, dict[str, object]] = {}
    for name, body in _TABLE.findall(sql):
        columns: dict[str, tuple[str, int | None, bool]] = {}
        pk: tuple[str, ...] = ()
        for line in body.splitlines():
            if match := _COLUMN.match(line):
                col, kind, length, _default, nullness = match.groups()
                family = DDL_FAMILY[kind.lower()]
                size = int(length) if length and family == "varchar" else None
                columns[col] = (family, size, nullness == "NULL")
            elif line.strip().startswith("PRIMARY KEY"):
                pk = tuple(c.strip() for c in line.split("(")[1].split(")")[0].split(","))
        unique = {uname: tuple(c.strip() for c in cols.split(",")) for uname, cols in _UNIQUE.findall(body)}
        tables[name] = {"columns": columns, "pk": pk, "unique": unique, "index": {}}
    for iname, table, cols in _INDEX.findall(sql):
        index = tables[table]["index"]
        assert isinstance(index, dict)
        index[iname] = tuple(c.strip() for c in cols.split(","))
    return tables


def model_family(column: Column[object]) -> tuple[str, int | None, bool]:
    compiled = column.type.compile(dialect=postgresql.dialect()).lower()
    match = re.match(r"([a-z]+)(?:\((\d+)\))?", compiled)
    assert match is not None, compiled
    kind, length = match.groups()
    family = {"timestamp": "timestamp", "character": "varchar"}.get(kind, kind)
    return family, (int(length) if length and family == "varchar" else None), bool(column.nullable)


@pytest.fixture(scope="module")
def ddl() -> dict[str, dict[str, object]]:
    return parse_ddl(_znuny_file("schema.postgresql.sql"))


def _table(name: str) -> Table:
    return Base.metadata.tables[name]


def test_every_design_table_is_modelled_with_its_znuny_name() -> None:
    assert set(schema.znuny_table_names()) == MODELLED


def test_parser_sees_the_whole_ddl(ddl: dict[str, dict[str, object]]) -> None:
    assert len(ddl) >= 120
    assert ddl["ticket"]["columns"]["tn"] == ("varchar", 50, False)  # type: ignore[index]
    assert ddl["article_data_mime"]["columns"]["a_from"] == ("varchar", None, True)  # type: ignore[index]


@pytest.mark.parametrize("table", sorted(MODELLED))
def test_columns_types_and_nullability_match_znuny(ddl: dict[str, dict[str, object]], table: str) -> None:
    expected = ddl[table]["columns"]
    actual = {col.name: model_family(col) for col in _table(table).columns}
    assert actual == expected


@pytest.mark.parametrize("table", sorted(MODELLED))
def test_primary_key_unique_constraints_and_indexes_match_znuny(
    ddl: dict[str, dict[str, object]], table: str
) -> None:
    model = _table(table)
    assert tuple(c.name for c in model.primary_key.columns) == ddl[table]["pk"]
    uniques = {
        c.name: tuple(col.name for col in c.columns)
        for c in model.constraints
        if isinstance(c, UniqueConstraint)
    }
    assert uniques == ddl[table]["unique"]
    indexes = {
        i.name: tuple(col.name for col in i.columns)
        for i in model.indexes
        if isinstance(i, Index) and not str(i.name).startswith("mailgate_")  # mailgate's additions
    }
    assert indexes == ddl[table]["index"]


def test_foreign_keys_between_modelled_tables_match_schema_post() -> None:
    sql = _znuny_file("schema-post.postgresql.sql")
    expected = {
        (table, fk_name.lower(), column, target)
        for table, fk_name, column, target, _target_col in _FK.findall(sql)
        if table in MODELLED and target in MODELLED
    }
    actual = {
        (table, str(fk.name), fk.column_keys[0], fk.referred_table.name)
        for table in MODELLED
        for fk in _table(table).constraints
        if isinstance(fk, ForeignKeyConstraint)
    }
    assert len(expected) > 100
    assert actual == expected
