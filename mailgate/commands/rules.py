"""`mailgate rules export|import`: the routing rules as YAML."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from mailgate.cli import settings_from
from mailgate.pipeline.rulestore import replace_rules, row_to_rule
from mailgate.services import build_services
from router.errors import RouterError
from router.yaml_io import dump_rules, load_rules
from schema.pipeline import RoutingRule


@click.group()
def rules() -> None:
    """Export or import mailgate's routing rules (Znuny postmaster filters stay in Znuny's table)."""


@rules.command("export")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def export_rules(ctx: click.Context, file: Path | None) -> None:
    """Write every rule as YAML to FILE (default: standard output)."""
    from sqlalchemy import select

    services = build_services(settings_from(ctx))
    try:
        with services.sessions() as session:
            rows = session.scalars(select(RoutingRule).order_by(RoutingRule.position, RoutingRule.id))
            text = dump_rules([row_to_rule(row) for row in rows])
    finally:
        services.close()
    if file is None:
        sys.stdout.write(text)
    else:
        file.write_text(text, encoding="utf-8")
        click.echo(f"exported to {file}", err=True)


@rules.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def import_rules(ctx: click.Context, file: Path) -> None:
    """Replace all rules with the ones in FILE; nothing changes if any rule is invalid."""
    try:
        loaded = load_rules(file.read_text(encoding="utf-8"))
    except RouterError as exc:
        raise click.ClickException(f"{file}: {exc}") from None
    services = build_services(settings_from(ctx))
    try:
        with services.sessions.begin() as session:
            replace_rules(session, loaded)
    finally:
        services.close()
    click.echo(f"imported {len(loaded)} rules from {file}", err=True)
