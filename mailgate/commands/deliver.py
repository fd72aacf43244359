"""`mailgate deliver`: take one mail on stdin from an MTA's pipe transport."""

from __future__ import annotations

import contextlib
import sys

import click

from mailgate.cli import settings_from
from mailgate.errors import MailgateError
from mailgate.logconfig import configure_logging
from mailgate.services import build_services
from schema.spool import InboundSource

EX_TEMPFAIL = 75


@click.command()
@click.option("--sender", "-f", default=None, help="Envelope sender, as the MTA passes it.")
@click.argument("recipients", nargs=-1)
@click.pass_context
def deliver(ctx: click.Context, sender: str | None, recipients: tuple[str, ...]) -> None:
    """Store the mail on stdin; exit 0 once committed, 75 (EX_TEMPFAIL) when it could not be stored."""
    try:
        settings = settings_from(ctx)
        configure_logging(settings)
        raw = sys.stdin.buffer.read()
        if not raw.strip():
            click.echo("deliver: empty input, nothing stored", err=True)
            ctx.exit(EX_TEMPFAIL)
        services = build_services(settings)
        with contextlib.ExitStack() as stack:
            stack.callback(services.close)
            if settings.broker_url:
                from mailgate.workers.actors import queue_stored_mail

                queue_stored_mail(services.intake, settings.broker_url, stack)
            accepted = services.intake.accept(raw, InboundSource.PIPE, sender, recipients)
    except MailgateError as exc:
        click.echo(f"deliver: {exc}", err=True)
        ctx.exit(EX_TEMPFAIL)
    except Exception as exc:  # anything unforeseen: the MTA must keep the mail and retry
        click.echo(f"deliver: unexpected {type(exc).__name__}: {exc}", err=True)
        ctx.exit(EX_TEMPFAIL)
    click.echo(f"stored as spool {accepted.spool_id} ({accepted.state.value})", err=True)
