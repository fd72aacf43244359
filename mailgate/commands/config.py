"""`mailgate config`: print the effective settings with secrets masked."""

from __future__ import annotations

import click

from mailgate.cli import settings_from


@click.command()
@click.pass_context
def config(ctx: click.Context) -> None:
    """Print the effective settings (environment over mailgate.toml over defaults)."""
    for name, value in settings_from(ctx).masked().items():
        click.echo(f"MAILGATE_{name.upper():22} {value}")
