"""Alembic environment: runs on the connection handed in through config.attributes["connection"]."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from schema.base import Base
from schema.migrations import VERSION_TABLE


def run_migrations(connection: Connection) -> None:
    """Run the requested upgrade or downgrade inside the caller's connection."""
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        version_table=VERSION_TABLE,
        render_as_batch=connection.dialect.name == "sqlite",
        transaction_per_migration=False,
    )
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    """Entry point Alembic calls when it loads env.py."""
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError("pass an open SQLAlchemy Connection as config.attributes['connection']")
    run_migrations(connection)


main()
