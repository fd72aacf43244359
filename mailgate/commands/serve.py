"""`mailgate smtp`, `mailgate run` and `mailgate worker`: the long-running processes."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import click

from mailgate.cli import settings_from
from mailgate.logconfig import configure_logging
from mailgate.recipients import RecipientPolicy
from mailgate.secret import installation_secret
from mailgate.services import Services, build_services
from mailgate.smtp import ListenerConfig, start_listener

DB_THREADS = 8


def _listeners(services: Services) -> list[tuple[str, bool]]:
    settings = services.settings
    return [
        (listen, lmtp)
        for listen, lmtp in ((settings.smtp_listen, False), (settings.lmtp_listen, True))
        if listen
    ]


async def _serve_listeners(services: Services, *, with_imap: bool = False) -> None:
    """Run the SMTP (and, when configured, LMTP) listeners, and optionally the IMAP pollers, until stopped."""
    settings = services.settings
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    secret = installation_secret(settings, services.sessions)
    policy = RecipientPolicy(services.sessions, secret, accept_any=settings.smtp_recipients == "any")
    with ThreadPoolExecutor(DB_THREADS, thread_name_prefix="spool") as executor:
        servers = [
            await start_listener(
                services.intake,
                executor,
                listen,
                ListenerConfig.from_settings(settings, lmtp=lmtp, recipients=policy),
            )
            for listen, lmtp in _listeners(services)
        ]
        names = ", ".join(f"{'LMTP' if lmtp else 'SMTP'} {listen}" for listen, lmtp in _listeners(services))
        click.echo(f"mailgate: listening on {names}", err=True)
        pollers = asyncio.create_task(_imap_pollers(services, executor, stop)) if with_imap else None
        await stop.wait()
        if pollers is not None:
            await pollers
        for server in servers:
            server.close()
            with contextlib.suppress(Exception):
                await server.wait_closed()


async def _imap_pollers(services: Services, executor: ThreadPoolExecutor, stop: asyncio.Event) -> None:
    """The IMAP pollers of every valid mail_account, until stop is set (none configured: idles)."""
    from mailgate.imap.supervisor import ImapSupervisor

    await ImapSupervisor(services.sessions, services.intake, executor).serve(stop)


@click.command()
@click.pass_context
def smtp(ctx: click.Context) -> None:
    """Listen for SMTP on MAILGATE_SMTP_LISTEN (and LMTP on MAILGATE_LMTP_LISTEN) and spool every mail."""
    settings = settings_from(ctx)
    configure_logging(settings)
    services = build_services(settings)
    with contextlib.ExitStack() as stack:
        stack.callback(services.close)
        if settings.broker_url:
            from mailgate.workers.actors import queue_stored_mail

            queue_stored_mail(services.intake, settings.broker_url, stack)
        asyncio.run(_serve_listeners(services))


@click.command()
@click.option("--threads", default=2, show_default=True, help="Processing threads in this process.")
@click.pass_context
def run(ctx: click.Context, threads: int) -> None:
    """Everything in one process: SMTP/LMTP listeners, IMAP pollers, workers, sweeper, SLA check, web UI."""
    from mailgate.sla.job import sla_check_thread
    from mailgate.workers.inprocess import in_process_workers

    settings = settings_from(ctx)
    configure_logging(settings)
    services = build_services(settings)
    try:
        with in_process_workers(services, threads), sla_check_thread(services.sessions), _web_ui(services):
            asyncio.run(_serve_listeners(services, with_imap=True))
    finally:
        services.close()


@contextlib.contextmanager
def _web_ui(services: Services) -> Iterator[None]:
    """The web UI on MAILGATE_WEB_LISTEN in a background thread (off when the setting is empty)."""
    if not services.settings.web_listen:
        yield
        return
    from webui.app import create_app
    from webui.server import WebServer

    server = WebServer(create_app(services.settings, services=services), services.settings.web_listen)
    server.start()
    host, port = server.address
    click.echo(f"mailgate: web UI on http://{host}:{port}/", err=True)
    try:
        yield
    finally:
        server.stop()


@click.command()
# processes beat threads for this CPU-bound work (one GIL each); twice the cores keeps both cores busy
# while a process waits for PostgreSQL: 4 x 1 gave 260-270 tickets/s on 2 cores, 2 x 4 about 210
@click.option(
    "--processes", default=2 * (os.cpu_count() or 1), show_default=True, help="Worker processes."
)
@click.option("--threads", default=1, show_default=True, help="Worker threads per process.")
@click.pass_context
def worker(ctx: click.Context, processes: int, threads: int) -> None:
    """Dramatiq workers on MAILGATE_BROKER_URL (Redis) for spooled mail, plus the sweeper and SLA check."""
    from mailgate.errors import ConfigError
    from mailgate.sla.job import sla_check_thread
    from mailgate.workers.pool import run_worker_pool

    settings = settings_from(ctx)
    if not settings.broker_url:
        raise ConfigError(
            "mailgate worker needs MAILGATE_BROKER_URL (redis://...); use `mailgate run` without one"
        )
    configure_logging(settings)
    services = build_services(settings)  # the SLA check runs beside the pool's sweeper, in this process
    try:
        with sla_check_thread(services.sessions):
            run_worker_pool(settings, processes, threads)
    finally:
        services.close()
