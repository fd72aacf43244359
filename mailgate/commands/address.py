"""`mailgate address add|list`: the system addresses mail is received on (Znuny's system_address)."""

from __future__ import annotations

import click
from sqlalchemy import func, select

from mailgate.cli import settings_from
from mailgate.services import build_services
from mailgate.tickets.clock import now_utc
from schema import Queue, SystemAddress

SYSTEM_USER = 1


@click.group()
def address() -> None:
    """Manage the addresses mailgate accepts mail for; each belongs to a queue."""


@address.command("add")
@click.argument("email")
@click.option("--queue", "queue_name", default="Raw", show_default=True, help="Queue of mail sent to it.")
@click.option("--name", "display_name", default="", help="Display name used when sending from it.")
@click.pass_context
def add_address(ctx: click.Context, email: str, queue_name: str, display_name: str) -> None:
    """Add EMAIL as a system address delivering into QUEUE (an existing address is updated)."""
    email = email.strip().lower()
    if "@" not in email:
        raise click.BadParameter(f"not an address: {email!r}", param_hint="EMAIL")
    services = build_services(settings_from(ctx))
    try:
        with services.sessions.begin() as session:
            queue_id = session.scalar(select(Queue.id).where(func.lower(Queue.name) == queue_name.lower()))
            if queue_id is None:
                raise click.ClickException(f"no queue named {queue_name!r}")
            row = session.scalar(select(SystemAddress).where(func.lower(SystemAddress.value0) == email))
            now = now_utc()
            if row is None:
                row = SystemAddress(value0=email, create_time=now, create_by=SYSTEM_USER)
                session.add(row)
            row.value1, row.queue_id, row.valid_id = display_name or email, queue_id, 1
            row.change_time, row.change_by = now, SYSTEM_USER
    finally:
        services.close()
    click.echo(f"{email} -> queue {queue_name}")


@address.command("list")
@click.pass_context
def list_addresses(ctx: click.Context) -> None:
    """Every system address with its queue and whether it is valid."""
    services = build_services(settings_from(ctx))
    try:
        with services.sessions() as session:
            rows = session.execute(
                select(SystemAddress.value0, SystemAddress.value1, Queue.name, SystemAddress.valid_id)
                .join(Queue, Queue.id == SystemAddress.queue_id, isouter=True)
                .order_by(SystemAddress.value0)
            )
            for email, name, queue, valid in rows:
                click.echo(f"{email:40} {queue or '?':20} {'valid' if valid == 1 else 'invalid'}  {name}")
    finally:
        services.close()
