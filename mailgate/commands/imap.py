"""`mailgate imap`: poll every valid IMAP/IMAPS mail_account into the inbound spool."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from concurrent.futures import ThreadPoolExecutor

import click
from sqlalchemy import Engine

from mailgate.cli import settings_from
from mailgate.imap.poller import PollerOptions
from mailgate.imap.state import ImapStateStore
from mailgate.imap.supervisor import ImapSupervisor
from mailgate.logconfig import configure_logging
from mailgate.services import Services, build_services
from mailgate.workers.actors import queue_stored_mail
from schema.imap_state import AfterFetch

FALLBACK_DB_THREADS = 5


def db_threads_for(engine: Engine) -> int:
    """Threads for database work: 1 on SQLite, else the engine pool's steady size.

    SQLite: a second writer only meets a locked database. PostgreSQL: more threads than the pool keeps
    would close and reopen overflow connections between batches.
    """
    if engine.dialect.name == "sqlite":
        return 1
    size = getattr(engine.pool, "size", None)
    return int(size()) if callable(size) else FALLBACK_DB_THREADS


DEFAULTS = PollerOptions()


async def _serve(supervisor: ImapSupervisor, only: set[int] | None, once: bool) -> int:
    loop = asyncio.get_running_loop()
    accounts = await loop.run_in_executor(None, supervisor.load_accounts, only)
    names = ", ".join(account.label for account in accounts) or "no valid IMAP/IMAPS mail_account yet"
    click.echo(f"mailgate imap: {names}", err=True)
    if once:
        failures = await supervisor.run_once(accounts)
        for account_id, error in failures.items():
            click.echo(f"mailgate imap: mail_account {account_id}: {error}", err=True)
        return 1 if failures else 0
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await supervisor.serve(stop, only)
    return 0


@click.command()
@click.option(
    "--account", "accounts", type=int, multiple=True, help="Serve only this mail_account id (repeatable)."
)
@click.option("--once", is_flag=True, help="Fetch what is waiting, then exit (for cron or a first import).")
@click.option("--batch", default=DEFAULTS.batch_count, show_default=True, help="Mails per UID FETCH.")
@click.option(
    "--poll-interval",
    default=DEFAULTS.poll_seconds,
    show_default=True,
    help="Seconds between polls on servers without IDLE.",
)
@click.option(
    "--set-after-fetch",
    type=click.Choice([item.value for item in AfterFetch]),
    default=None,
    help="Store what to do with fetched mail for the --account ids (move, seen, delete), then exit.",
)
@click.option("--processed-folder", default=None, help="With --set-after-fetch: the folder `move` uses.")
@click.pass_context
def imap(
    ctx: click.Context,
    accounts: tuple[int, ...],
    once: bool,
    batch: int,
    poll_interval: float,
    set_after_fetch: str | None,
    processed_folder: str | None,
) -> None:
    """Fetch mail from every valid IMAP/IMAPS mail_account (IDLE where offered) into the spool.

    mail_account is re-read every minute: new, edited and invalidated accounts are picked up.
    """
    settings = settings_from(ctx)
    configure_logging(settings)
    services = build_services(settings)
    with contextlib.ExitStack() as stack:
        stack.callback(services.close)
        if set_after_fetch is not None:
            _configure(services, accounts, AfterFetch(set_after_fetch), processed_folder)
            return
        if settings.broker_url:
            queue_stored_mail(services.intake, settings.broker_url, stack)
        executor = stack.enter_context(
            ThreadPoolExecutor(db_threads_for(services.engine), thread_name_prefix="imap-db")
        )
        options = PollerOptions(batch_count=batch, poll_seconds=poll_interval)
        supervisor = ImapSupervisor(services.sessions, services.intake, executor, options)
        code = asyncio.run(_serve(supervisor, set(accounts) or None, once))
    ctx.exit(code)


def _configure(
    services: Services, accounts: tuple[int, ...], action: AfterFetch, processed_folder: str | None
) -> None:
    if not accounts:
        raise click.UsageError("--set-after-fetch needs at least one --account")
    store = ImapStateStore(services.sessions)
    for account_id in accounts:
        progress = store.configure(account_id, action, processed_folder)
        click.echo(
            f"mail_account {account_id}: after fetch {progress.after_fetch.value}"
            f" (processed folder {progress.processed_folder})"
        )
