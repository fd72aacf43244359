"""Extract the seed rows of the modelled lookup tables from Znuny's initial_insert.postgresql.sql.

Usage: python -m schema.tools.extract_seed ../shared/znuny/initial_insert.postgresql.sql
writes schema/data/znuny_seed.json. Ids are assigned as Znuny's SERIAL columns assign them on a
fresh database (1, 2, ... per table in file order); `current_timestamp` values are listed under
"now" and filled in at seed time.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path
from typing import Any

# Znuny tables whose initial rows mailgate seeds. Left out on purpose: the demo ticket
# "Znuny says hi!" (ticket, article, article_data_mime*, ticket_history) and tables not modelled.
SEED_TABLES = (
    "valid",
    "users",
    "permission_groups",
    "group_user",
    "ticket_state_type",
    "ticket_state",
    "salutation",
    "signature",
    "system_address",
    "follow_up_possible",
    "queue",
    "standard_template",
    "auto_response_type",
    "auto_response",
    "queue_auto_response",
    "ticket_priority",
    "ticket_type",
    "ticket_lock_type",
    "ticket_history_type",
    "article_sender_type",
    "communication_channel",
)
NOW = "current_timestamp"
OUTPUT = Path(__file__).resolve().parents[1] / "data" / "znuny_seed.json"


class Keyword(str):
    """An unquoted SQL word used as a value (current_timestamp), told apart from a string literal."""

    __slots__ = ()


_TOKEN = re.compile(
    r"""\s+|--[^\n]*|(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+(?:\.\d+)?)|(?P<word>[A-Za-z_][A-Za-z0-9_]*)|(?P<sym>[(),;])"""
)


def tokenize(sql: str) -> list[tuple[str, Any]]:
    """Split SQL into (kind, value) tokens: str, num, word (lower-cased), sym; comments dropped."""
    tokens: list[tuple[str, Any]] = []
    pos = 0
    while pos < len(sql):
        match = _TOKEN.match(sql, pos)
        if match is None:
            raise ValueError(f"cannot tokenize at offset {pos}: {sql[pos : pos + 40]!r}")
        pos = match.end()
        kind = match.lastgroup
        if kind == "str":
            tokens.append(("str", match.group(kind)[1:-1].replace("''", "'")))
        elif kind == "num":
            tokens.append(("num", int(match.group(kind))))
        elif kind == "word":
            tokens.append(("word", match.group(kind).lower()))
        elif kind == "sym":
            tokens.append(("sym", match.group(kind)))
    return tokens


def _split_statements(tokens: list[tuple[str, Any]]) -> list[list[tuple[str, Any]]]:
    statements: list[list[tuple[str, Any]]] = [[]]
    for token in tokens:
        if token == ("sym", ";"):
            statements.append([])
        else:
            statements[-1].append(token)
    return [statement for statement in statements if statement]


def _group(tokens: list[tuple[str, Any]], start: int) -> tuple[list[Any], int]:
    """The comma-separated items of the parenthesised list at `start`, and the index after it."""
    if tokens[start] != ("sym", "("):
        raise ValueError(f"expected '(' but found {tokens[start]}")
    items: list[Any] = []
    index = start + 1
    while tokens[index] != ("sym", ")"):
        kind, value = tokens[index]
        if kind == "word":
            value = None if value == "null" else Keyword(value)
        items.append(value)
        index += 1
        if tokens[index] == ("sym", ","):
            index += 1
    return items, index + 1


def parse_inserts(sql: str) -> list[tuple[str, dict[str, Any]]]:
    """Every row of every INSERT INTO statement, as (table, {column: value}) in file order."""
    rows: list[tuple[str, dict[str, Any]]] = []
    for statement in _split_statements(tokenize(sql)):
        words = [value for _kind, value in statement[:3]]
        if words[:2] != ["insert", "into"]:
            continue
        table = statement[2][1]
        columns, index = _group(statement, 3)
        if statement[index] != ("word", "values"):
            raise ValueError(f"INSERT INTO {table}: expected VALUES")
        index += 1
        while index < len(statement):
            values, index = _group(statement, index)
            rows.append((table, dict(zip(columns, values, strict=True))))
            if index < len(statement) and statement[index] == ("sym", ","):
                index += 1
    return rows


def _is_now(value: Any) -> bool:
    return isinstance(value, Keyword) and value == NOW


def build_seed(sql: str, tables: tuple[str, ...] = SEED_TABLES) -> dict[str, Any]:
    """The seed document: per table, in Znuny's insert order, rows with ids and their `now` columns."""
    seed: dict[str, list[dict[str, Any]]] = {table: [] for table in tables}
    for table, values in parse_inserts(sql):
        if table not in seed:
            continue
        row = {"id": values.pop("id", len(seed[table]) + 1)}
        now = [column for column, value in values.items() if _is_now(value)]
        row.update({column: value for column, value in values.items() if not _is_now(value)})
        seed[table].append({"values": row, "now": now})
    return {"source": "znuny initial_insert.postgresql.sql", "tables": seed}


def render(seed: dict[str, Any]) -> str:
    """The seed document as the JSON text shipped in schema/data."""
    return json.dumps(seed, ensure_ascii=False, indent=1) + "\n"


def main(argv: list[str]) -> int:
    """Write schema/data/znuny_seed.json from the given initial_insert.postgresql.sql."""
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    sql = Path(argv[1]).read_text(encoding="utf-8")
    OUTPUT.write_text(render(build_seed(sql)), encoding="utf-8")
    digest = hashlib.sha256(sql.encode()).hexdigest()
    print(f"wrote {OUTPUT} from sha256 {digest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
