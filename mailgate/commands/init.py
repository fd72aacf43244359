"""`mailgate init`: create or upgrade the database, seed Znuny's lookup rows, show the admin password once."""

from __future__ import annotations

import click

from mailgate.cli import settings_from
from mailgate.database import create_engine_for
from mailgate.initdb import InitMode, InitResult, init_database
from mailgate.searchindexes import create_search_indexes
from mailgate.settings import mask_url_password

_MODE_TEXT = {
    InitMode.FRESH: "created the Znuny-compatible schema and the mailgate_ tables",
    InitMode.MANAGED: "database created by mailgate init",
    InitMode.ATTACH: "attached to an existing Znuny database (only mailgate_ tables are managed)",
}
_NO_SEARCH_INDEXES = (
    "note: mailgate's indexes on Znuny's tables (web UI ticket lists and full-text search,"
    " case-insensitive customer lookups) were not built;"
    " run `mailgate init --search-indexes` (builds them without blocking writes)"
)


def _report(result: InitResult) -> None:
    click.echo(f"mode: {result.mode.value} - {_MODE_TEXT[result.mode]}")
    click.echo(f"schema revisions: {', '.join(result.revisions_after)}")
    seeded = sum(result.seeded.values())
    if seeded:
        click.echo(f"seeded {seeded} rows from Znuny's initial data")
    if not result.changed:
        click.echo("already up to date; nothing changed")
    if result.admin_password is not None:
        click.echo("admin user: root@localhost")
        click.echo(f"admin password: {result.admin_password}")
        click.echo("(shown only this once; store it now)")


@click.command()
@click.option(
    "--search-indexes",
    is_flag=True,
    help="on an attached Znuny database, also build mailgate's indexes on Znuny's tables",
)
@click.pass_context
def init(ctx: click.Context, search_indexes: bool) -> None:
    """Create or upgrade the database; on a Znuny database add only the mailgate_ tables."""
    settings = settings_from(ctx)
    click.echo(f"database: {mask_url_password(settings.database_url)}")
    result = init_database(settings)
    _report(result)
    if result.mode is not InitMode.ATTACH:
        return
    if not search_indexes:
        click.echo(_NO_SEARCH_INDEXES)
        return
    engine = create_engine_for(settings)
    try:
        click.echo(f"search indexes: {create_search_indexes(engine)} ensured")
    finally:
        engine.dispose()
