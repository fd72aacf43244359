"""The `mailgate` command: a click group whose subcommands live in mailgate.commands."""

from __future__ import annotations

import importlib
import os
from typing import Any

import click

from mailgate.errors import MailgateError
from mailgate.settings import Settings, load_settings

# name -> (module under mailgate.commands, attribute); imported only when the command runs
COMMANDS: dict[str, str] = {
    "address": "address:address",
    "config": "config:config",
    "imap": "imap:imap",
    "import": "importer:import_mail",
    "init": "init:init",
    "deliver": "deliver:deliver",
    "parse": "parse:parse",
    "route": "route:route",
    "rules": "rules:rules",
    "run": "serve:run",
    "smtp": "serve:smtp",
    "sla": "sla:sla",
    "spool": "spool:spool",
    "web": "web:web",
    "worker": "serve:worker",
}


class LazyGroup(click.Group):
    """A group that imports a subcommand's module only when that subcommand is used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """All command names, sorted."""
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """Import and return the named command."""
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        module = importlib.import_module(f"mailgate.commands.{module_name}")
        command: click.Command = getattr(module, attr)
        return command


@click.group(cls=LazyGroup)
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Mailgate: an email gateway for helpdesks on a Znuny-compatible schema."""
    ctx.obj = SettingsHolder()


class SettingsHolder:
    """Builds the Settings once, on first use, so commands that need none never read config."""

    def __init__(self) -> None:
        self._settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        """The effective settings, loaded from the environment and mailgate.toml."""
        if self._settings is None:
            self._settings = load_settings(os.environ)
        return self._settings


def settings_from(ctx: click.Context) -> Settings:
    """The Settings of the running command."""
    holder: SettingsHolder = ctx.find_root().obj
    return holder.settings


def main(argv: Any = None) -> None:
    """Console entry point: run the CLI and turn MailgateError into a clean message and exit code."""
    try:
        code = cli.main(args=argv, standalone_mode=False)
    except click.exceptions.Abort:
        raise SystemExit(1) from None
    except click.ClickException as exc:
        exc.show()
        raise SystemExit(exc.exit_code) from None
    except MailgateError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(2) from None
    if isinstance(code, int) and code:
        raise SystemExit(code)
