"""The shipped seed data (schema/data/znuny_seed.json) against Znuny's initial_insert.postgresql.sql."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from schema import Base
from schema.seed_data import SEED_FILE, load_znuny_seed
from schema.tools.extract_seed import OUTPUT, SEED_TABLES, build_seed, parse_inserts, render, tokenize

INITIAL_INSERT = (
    Path(__file__).resolve().parents[2] / ".." / "shared" / "znuny" / "initial_insert.postgresql.sql"
)


@pytest.fixture(scope="module")
def initial_insert_sql() -> str:
    if not INITIAL_INSERT.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{INITIAL_INSERT} is missing and CI=true")
        pytest.skip("../shared/znuny is not beside the repository")
    return INITIAL_INSERT.read_text(encoding="utf-8")


def test_shipped_seed_equals_a_fresh_extraction(initial_insert_sql: str) -> None:
    assert OUTPUT.name == SEED_FILE
    assert OUTPUT.read_text(encoding="utf-8") == render(build_seed(initial_insert_sql))


def test_extraction_counts_match_the_insert_statements(initial_insert_sql: str) -> None:
    rows = parse_inserts(initial_insert_sql)
    assert len(rows) == initial_insert_sql.count("INSERT INTO ")
    seed = load_znuny_seed()
    for table, rows_of_table in seed.items():
        assert len(rows_of_table) == sum(1 for name, _ in rows if name == table)


def test_seed_tables_are_modelled_and_columns_exist() -> None:
    seed = load_znuny_seed()
    assert tuple(seed) == SEED_TABLES
    for table, rows in seed.items():
        columns = set(Base.metadata.tables[table].columns.keys())
        for row in rows:
            assert set(row["values"]) | set(row["now"]) <= columns


def test_well_known_ids() -> None:
    seed = load_znuny_seed()

    def names(table: str) -> dict[int, str]:
        return {row["values"]["id"]: row["values"]["name"] for row in seed[table]}

    assert names("valid") == {1: "valid", 2: "invalid", 3: "invalid-temporarily"}
    assert names("ticket_state")[1] == "new" and names("ticket_state")[4] == "open"
    assert names("ticket_lock_type") == {1: "unlock", 2: "lock", 3: "tmp_lock"}
    assert names("article_sender_type") == {1: "agent", 2: "system", 3: "customer"}
    assert names("queue") == {1: "Postmaster", 2: "Raw", 3: "Junk", 4: "Misc"}
    assert names("communication_channel")[1] == "Email"
    assert seed["users"][0]["values"]["login"] == "root@localhost"
    assert len(seed["ticket_history_type"]) == 52


def test_tokenizer_handles_quotes_newlines_and_comments() -> None:
    sql = "-- c\nINSERT INTO t (a, b, c) VALUES ('it''s;\n x', NULL, current_timestamp), (2, -3, 'y');"
    assert parse_inserts(sql) == [
        ("t", {"a": "it's;\n x", "b": None, "c": "current_timestamp"}),
        ("t", {"a": 2, "b": -3, "c": "y"}),
    ]
    assert ("sym", ";") in tokenize(sql)
    assert build_seed(sql.replace("INTO t", "INTO valid"), ("valid",))["tables"]["valid"][0] == {
        "values": {"id": 1, "a": "it's;\n x", "b": None},
        "now": ["c"],
    }
    literal = "INSERT INTO valid (a) VALUES ('current_timestamp');"
    assert build_seed(literal, ("valid",))["tables"]["valid"][0]["now"] == []
