"""`mailgate route --explain FILE`: what would happen to a mail, and why, without changing anything."""

from __future__ import annotations

from pathlib import Path

import click

from mailgate.cli import settings_from
from mailgate.pipeline.explain import format_plan
from mailgate.services import build_processor, build_services
from parsers import parse


@click.command()
@click.option("--explain", "explain", is_flag=True, required=True, help="Show the decision and its reasons.")
@click.option("--to", "recipients", multiple=True, help="Envelope recipient (repeatable).")
@click.option("--trusted", is_flag=True, help="Treat the mail as coming from a trusted source.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def route(ctx: click.Context, explain: bool, recipients: tuple[str, ...], trusted: bool, file: Path) -> None:
    """Show the follow-up step that matched, the rules hit and missed, and the resulting queue and state."""
    services = build_services(settings_from(ctx))
    try:
        processor = build_processor(services, read_only=True)
        raw = file.read_bytes()
        with services.sessions() as session:
            plan = processor.explain(session, raw, list(recipients), trusted)
            session.rollback()
        click.echo(format_plan(parse(raw), plan), nl=False)
    finally:
        services.close()
