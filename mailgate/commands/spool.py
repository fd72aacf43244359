"""`mailgate spool list|show|retry`: the inbound spool, its failures and their retry."""

from __future__ import annotations

import json
import sys

import click
from sqlalchemy import select, update

from mailgate.cli import settings_from
from mailgate.logconfig import configure_logging
from mailgate.services import build_processor, build_services
from schema import InboundMail, InboundState
from schema.pipeline import Decision


@click.group()
def spool() -> None:
    """Inspect and retry spooled mail."""


@spool.command("list")
@click.option("--state", type=click.Choice([s.value for s in InboundState]), help="Only rows in this state.")
@click.option("--limit", default=50, show_default=True)
@click.pass_context
def list_spool(ctx: click.Context, state: str | None, limit: int) -> None:
    """The newest spool rows: id, state, attempts, source, received, Message-ID, error."""
    services = build_services(settings_from(ctx))
    try:
        with services.sessions() as session:
            query = select(InboundMail).order_by(InboundMail.id.desc()).limit(limit)
            if state:
                query = query.where(InboundMail.state == state)
            for row in session.scalars(query):
                error = (row.last_error or "").splitlines()[0][:60] if row.last_error else ""
                click.echo(
                    f"{row.id:>8} {row.state:10} {row.attempts:>2} {row.source:6} "
                    f"{row.created_at:%Y-%m-%d %H:%M:%S} {row.message_id or '-'} {error}"
                )
    finally:
        services.close()


@spool.command("show")
@click.argument("spool_id", type=int)
@click.option("--raw", is_flag=True, help="Write the raw mail, byte for byte, to standard output.")
@click.pass_context
def show_spool(ctx: click.Context, spool_id: int, raw: bool) -> None:
    """One spool row with its error and the decision trace."""
    services = build_services(settings_from(ctx))
    try:
        with services.sessions() as session:
            row = session.get(InboundMail, spool_id)
            if row is None:
                raise click.ClickException(f"no spool row {spool_id}")
            if raw:
                sys.stdout.buffer.write(row.raw)
                return
            decision = session.scalar(select(Decision).where(Decision.inbound_id == spool_id))
            for name in (
                "id",
                "state",
                "attempts",
                "source",
                "size",
                "sha256",
                "message_id",
                "envelope_sender",
                "envelope_recipients",
                "ticket_id",
                "article_id",
                "duplicate_of",
                "next_attempt_at",
                "created_at",
                "changed_at",
            ):
                click.echo(f"{name:20} {getattr(row, name)}")
            if row.last_error:
                click.echo(f"last_error:\n{row.last_error}")
            if decision is not None:
                click.echo(
                    f"decision: {decision.outcome}\n{json.dumps(json.loads(decision.trace), indent=2)}"
                )
    finally:
        services.close()


@spool.command("retry")
@click.argument("spool_ids", type=int, nargs=-1)
@click.option("--all-failed", is_flag=True, help="Retry every failed row.")
@click.pass_context
def retry_spool(ctx: click.Context, spool_ids: tuple[int, ...], all_failed: bool) -> None:
    """Process failed rows again now, in this process; prints what became of each."""
    settings = settings_from(ctx)
    configure_logging(settings)
    services = build_services(settings)
    try:
        with services.sessions.begin() as session:
            query = select(InboundMail.id).where(InboundMail.state == InboundState.FAILED.value)
            if not all_failed:
                query = query.where(InboundMail.id.in_(spool_ids))
            ids = list(session.scalars(query.order_by(InboundMail.id)))
            session.execute(update(InboundMail).where(InboundMail.id.in_(ids)).values(next_attempt_at=None))
        if not ids:
            raise click.ClickException("no failed spool rows to retry")
        processor = build_processor(services)
        for spool_id in ids:
            result = processor.process(spool_id)
            click.echo(f"{spool_id}: {result.state} {result.outcome or ''} {result.error or ''}".rstrip())
    finally:
        services.close()
