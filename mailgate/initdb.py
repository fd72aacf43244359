"""Create or upgrade the database (`mailgate init`): migrations, Znuny's seed rows, the admin password."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from enum import StrEnum

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from argon2 import PasswordHasher
from sqlalchemy import Connection, Engine, func, insert, inspect, select, text, update
from sqlalchemy.engine import URL

from mailgate.database import create_engine_for
from mailgate.errors import MailgateError
from mailgate.settings import Settings
from schema import Base, User, znuny_table_names
from schema.migrations import MIGRATIONS_DIR, VERSION_TABLE
from schema.seed_data import load_znuny_seed

log = logging.getLogger("mailgate")

ZNUNY_BRANCH_BASE = "znuny_0001"
ZNUNY_MARKER_TABLE = "ticket"
ADMIN_USER_ID = 1


class InitMode(StrEnum):
    """What `mailgate init` found and therefore does."""

    FRESH = "fresh"  # empty database: Znuny tables, mailgate_ tables, seed rows, admin password
    MANAGED = "managed"  # created earlier by mailgate init: upgrade both branches, nothing else
    ATTACH = "attach"  # a Znuny database: only the mailgate_ tables, nothing else touched


class DatabaseStateError(MailgateError):
    """The database is neither empty, nor a Znuny database, nor one mailgate created."""


@dataclass
class InitResult:
    """Outcome of init_database."""

    mode: InitMode
    revisions_before: tuple[str, ...]
    revisions_after: tuple[str, ...]
    seeded: dict[str, int] = field(default_factory=dict)
    admin_password: str | None = None

    @property
    def changed(self) -> bool:
        """Whether this run migrated or inserted anything."""
        return self.revisions_before != self.revisions_after or any(self.seeded.values())


def alembic_config(connection: Connection) -> Config:
    """An Alembic Config for the shipped migrations, running on `connection` (never on the environment)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    config.attributes["connection"] = connection
    return config


def current_revisions(connection: Connection) -> tuple[str, ...]:
    """The revisions recorded in mailgate_alembic_version (empty if the table is absent)."""
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return tuple(sorted(context.get_current_heads()))


def _owns_znuny_tables(config: Config, revisions: tuple[str, ...]) -> bool:
    script = ScriptDirectory.from_config(config)
    for head in revisions:
        if any(rev.revision == ZNUNY_BRANCH_BASE for rev in script.iterate_revisions(head, "base")):
            return True
    return False


def detect_mode(connection: Connection, config: Config) -> InitMode:
    """Fresh, managed (created by mailgate) or attach (Znuny's own database), from the tables present."""
    tables = set(inspect(connection).get_table_names())
    revisions = current_revisions(connection) if VERSION_TABLE in tables else ()
    if revisions:
        return InitMode.MANAGED if _owns_znuny_tables(config, revisions) else InitMode.ATTACH
    if ZNUNY_MARKER_TABLE in tables:
        _require_znuny_tables(tables)
        return InitMode.ATTACH
    present = tables.intersection(znuny_table_names())
    if present:
        raise DatabaseStateError(
            f"the database has some Znuny tables ({', '.join(sorted(present))}) but no "
            f"'{ZNUNY_MARKER_TABLE}' table and no {VERSION_TABLE}; refusing to guess"
        )
    return InitMode.FRESH


def _require_znuny_tables(tables: set[str]) -> None:
    missing = set(znuny_table_names()) - tables
    if missing:
        raise DatabaseStateError(
            "this looks like a Znuny/OTRS database but lacks tables mailgate needs: "
            f"{', '.join(sorted(missing))} (attach mode requires Znuny 6.5 or 7)"
        )


def upgrade(config: Config, mode: InitMode) -> None:
    """Apply the migrations the mode calls for: both branches, or only the mailgate branch."""
    if mode is not InitMode.ATTACH:
        command.upgrade(config, "znuny@head")
    command.upgrade(config, "mailgate@head")


def _defer_foreign_keys(connection: Connection) -> None:
    # Znuny's rows reference each other in a cycle (valid <-> users); check keys at commit
    if connection.dialect.name == "sqlite":
        connection.execute(text("PRAGMA defer_foreign_keys = ON"))
    else:
        connection.execute(text("SET CONSTRAINTS ALL DEFERRED"))


def _advance_sequence(connection: Connection, table: str) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(
            text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
        )


def seed(connection: Connection) -> dict[str, int]:
    """Insert Znuny's initial rows that are missing (by id); returns rows inserted per table."""
    _defer_foreign_keys(connection)
    inserted: dict[str, int] = {}
    for name, rows in load_znuny_seed().items():
        table = Base.metadata.tables[name]
        existing = set(connection.scalars(select(table.c.id)))
        missing = [row for row in rows if row["values"]["id"] not in existing]
        for row in missing:
            values = {**row["values"], **{column: func.current_timestamp() for column in row["now"]}}
            connection.execute(insert(table).values(values))
        if missing:
            _advance_sequence(connection, name)
        inserted[name] = len(missing)
    return inserted


def set_admin_password(connection: Connection, hasher: PasswordHasher | None = None) -> str:
    """Give users.id 1 (root@localhost) a new random password stored as an argon2 hash; returns it."""
    password = secrets.token_urlsafe(18)
    hashed = (hasher or PasswordHasher()).hash(password)
    connection.execute(update(User).where(User.id == ADMIN_USER_ID).values(pw=hashed))
    return password


def init_database(target: Settings | str | URL | Engine) -> InitResult:
    """Create, upgrade or attach to the database; safe to run any number of times."""
    engine = target if isinstance(target, Engine) else create_engine_for(target)
    try:
        with engine.begin() as connection:
            return _init_on(connection)
    finally:
        if engine is not target:
            engine.dispose()


def _init_on(connection: Connection) -> InitResult:
    config = alembic_config(connection)
    mode = detect_mode(connection, config)
    result = InitResult(mode, current_revisions(connection), ())
    upgrade(config, mode)
    result.revisions_after = current_revisions(connection)
    if mode is InitMode.FRESH:
        # only a database mailgate has just created gets Znuny's rows: later runs never re-insert
        # rows an admin deleted on purpose
        result.seeded = seed(connection)
        result.admin_password = set_admin_password(connection)
    log.info("mailgate init: mode=%s revisions=%s seeded=%s", mode, result.revisions_after, result.seeded)
    return result
