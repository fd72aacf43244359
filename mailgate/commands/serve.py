"""`mailgate smtp` and `mailgate run`: the long-running listener processes."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from concurrent.futures import ThreadPoolExecutor

import click

from mailgate.cli import settings_from
from mailgate.logconfig import configure_logging
from mailgate.services import Services, build_services
from mailgate.smtp import start_listener

DB_THREADS = 8


async def _serve_listeners(services: Services) -> None:
    """Run the SMTP (and, when configured, LMTP) listeners until SIGINT or SIGTERM."""
    settings = services.settings
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    with ThreadPoolExecutor(DB_THREADS, thread_name_prefix="spool") as executor:
        servers = [
            await start_listener(
                services.intake,
                executor,
                listen,
                lmtp=lmtp,
                max_size=settings.max_message_size,
                hostname=settings.fqdn,
            )
            for listen, lmtp in ((settings.smtp_listen, False), (settings.lmtp_listen, True))
            if listen
        ]
        click.echo(
            "mailgate: listening on "
            + ", ".join(
                f"{'LMTP' if lmtp else 'SMTP'} {listen}"
                for listen, lmtp in ((settings.smtp_listen, False), (settings.lmtp_listen, True))
                if listen
            ),
            err=True,
        )
        await stop.wait()
        for server in servers:
            server.close()
            with contextlib.suppress(Exception):
                await server.wait_closed()


def _run(ctx: click.Context) -> None:
    settings = settings_from(ctx)
    configure_logging(settings)
    services = build_services(settings)
    try:
        asyncio.run(_serve_listeners(services))
    finally:
        services.close()


@click.command()
@click.pass_context
def smtp(ctx: click.Context) -> None:
    """Listen for SMTP on MAILGATE_SMTP_LISTEN (and LMTP on MAILGATE_LMTP_LISTEN) and spool every mail."""
    _run(ctx)


@click.command()
@click.pass_context
def run(ctx: click.Context) -> None:
    """Run mailgate in one process on the configured settings (for now: the SMTP/LMTP listeners)."""
    _run(ctx)
