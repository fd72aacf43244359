"""Alembic migrations: branch `znuny` creates Znuny's tables, branch `mailgate` the mailgate_ tables."""

from pathlib import Path

MIGRATIONS_DIR = Path(__file__).resolve().parent
VERSION_TABLE = "mailgate_alembic_version"
