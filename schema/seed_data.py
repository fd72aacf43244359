"""Znuny's initial rows for the modelled lookup tables, shipped as data/znuny_seed.json."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any, TypedDict

SEED_FILE = "znuny_seed.json"


class SeedRow(TypedDict):
    """One row: its column values (with the id) and the columns Znuny sets to current_timestamp."""

    values: dict[str, Any]
    now: list[str]


def load_znuny_seed() -> dict[str, list[SeedRow]]:
    """Table name -> rows, in the order Znuny's initial_insert.postgresql.sql inserts them."""
    text = resources.files("schema").joinpath("data", SEED_FILE).read_text(encoding="utf-8")
    document: dict[str, dict[str, list[SeedRow]]] = json.loads(text)
    return document["tables"]
