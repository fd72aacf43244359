"""Znuny's own SQL files as a test oracle: build a PostgreSQL database exactly as Znuny's installer does."""

from __future__ import annotations

import os
from pathlib import Path

import psycopg
import pytest

ZNUNY_DIR = Path(__file__).resolve().parents[2] / ".." / "shared" / "znuny"
ZNUNY_FILES = ("schema.postgresql.sql", "initial_insert.postgresql.sql", "schema-post.postgresql.sql")


def require_znuny_files() -> None:
    """Skip when ../shared/znuny is absent, except under CI=true, where that is a failure."""
    if not all((ZNUNY_DIR / name).is_file() for name in ZNUNY_FILES):
        if os.environ.get("CI") == "true":
            pytest.fail(f"Znuny SQL files missing under {ZNUNY_DIR} and CI=true")
        pytest.skip("../shared/znuny is not beside the repository")


def conninfo(url: str) -> str:
    """A libpq URL from a SQLAlchemy postgresql+psycopg URL."""
    return url.replace("postgresql+psycopg://", "postgresql://")


def load_znuny(url: str) -> None:
    """Run schema, initial_insert and schema-post, in that order, on the (empty) database at url."""
    with psycopg.connect(conninfo(url)) as conn:
        for name in ZNUNY_FILES:
            conn.execute((ZNUNY_DIR / name).read_text(encoding="utf-8"))
        conn.commit()
