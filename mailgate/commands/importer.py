"""`mailgate import PATH`: bulk-import an mbox, a Maildir, a folder of .eml files or one mail file."""

from __future__ import annotations

import contextlib
import logging
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import click

from mailgate.cli import settings_from
from mailgate.importer.detect import SourceOptions, open_source
from mailgate.importer.items import MailSource
from mailgate.importer.mbox import FromQuoting
from mailgate.importer.progress import BarProgress, LogProgress, Progress
from mailgate.importer.run import Importer, RunControl
from mailgate.importer.summary import ImportSummary, StopReason
from mailgate.logconfig import configure_logging
from mailgate.services import Services, build_services
from mailgate.workers.actors import queue_stored_mail

EX_TEMPFAIL = 75
EXIT_FAILURES = 1
POSTGRES_JOBS = 4


class _StopSignals:
    """Turns SIGINT and SIGTERM into a polite stop after the current mail (a second one stops at once)."""

    def __init__(self) -> None:
        self.received: int | None = None
        self._event = threading.Event()

    def is_set(self) -> bool:
        """Whether a stop signal arrived."""
        return self._event.is_set()

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        if self._event.is_set():
            raise KeyboardInterrupt
        self.received = signum
        self._event.set()

    @contextlib.contextmanager
    def installed(self) -> Iterator[_StopSignals]:
        """Catch the signals for the duration of the block, then restore the previous handlers."""
        previous = {sig: signal.signal(sig, self._handle) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield self
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def _progress_for(source: MailSource, show_bar: bool | None) -> Progress:
    """A bar when stderr is a terminal (or --progress), log lines otherwise."""
    if show_bar if show_bar is not None else sys.stderr.isatty():
        return BarProgress(source.total, sys.stderr)
    return LogProgress(source.total, source.unit)


def _default_jobs(services: Services) -> int:
    """Parallel stores pay off on PostgreSQL; SQLite has a single writer."""
    return POSTGRES_JOBS if services.engine.dialect.name == "postgresql" else 1


def _exit_code(summary: ImportSummary, signals: _StopSignals) -> int:
    """128+signal when interrupted, 75 when the database went away, 1 when any mail failed, else 0."""
    if summary.stopped is StopReason.INTERRUPTED and signals.received is not None:
        return 128 + signals.received
    if summary.stopped is StopReason.STORAGE:
        return EX_TEMPFAIL
    return EXIT_FAILURES if summary.failed else 0


@click.command("import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--queue-after/--no-queue-after",
    default=True,
    show_default=True,
    help="With MAILGATE_BROKER_URL set, queue each stored mail for processing at once "
    "(otherwise, and without a broker, the sweeper of `mailgate run`/`worker` picks them up).",
)
@click.option("--maildir-folders", is_flag=True, help="Also import the Maildir++ subfolders (.Sent, ...).")
@click.option(
    "--from-quoting",
    type=click.Choice([q.value for q in FromQuoting]),
    default=FromQuoting.MBOXRD.value,
    show_default=True,
    help="How the mbox quoted body lines starting with 'From '.",
)
@click.option("--limit", type=click.IntRange(min=1), help="Stop after storing this many new mails.")
@click.option(
    "--jobs",
    type=click.IntRange(min=1, max=32),
    help="Mails stored at once [default: 4 on PostgreSQL, 1 on SQLite].",
)
@click.option("--progress/--no-progress", default=None, help="Progress bar [default: when on a terminal].")
@click.option("--verbose", is_flag=True, help="Log every stored mail.")
@click.pass_context
def import_mail(
    ctx: click.Context,
    path: Path,
    queue_after: bool,
    maildir_folders: bool,
    from_quoting: str,
    limit: int | None,
    jobs: int | None,
    progress: bool | None,
    verbose: bool,
) -> None:
    """Store every mail of PATH (mbox, Maildir, folder of .eml, one file) that the spool does not hold yet.

    Stop it with Ctrl-C or SIGTERM at any time; running it again resumes where it stopped.
    """
    settings = settings_from(ctx)
    configure_logging(settings)
    if not verbose:
        logging.getLogger("mailgate.intake").setLevel(logging.WARNING)
    options = SourceOptions(settings.max_message_size, FromQuoting(from_quoting), maildir_folders)
    source = open_source(path, options)
    click.echo(f"importing {source.description}", err=True)
    services = build_services(settings)
    signals = _StopSignals()
    with contextlib.ExitStack() as stack:
        stack.callback(services.close)
        if settings.broker_url and queue_after:
            queue_stored_mail(services.intake, services.settings.broker_url, stack)
        shown = _progress_for(source, progress)
        with signals.installed():
            try:
                control = RunControl(should_stop=signals.is_set, limit=limit)
                importer = Importer(
                    services.intake, services.sessions, workers=jobs or _default_jobs(services)
                )
                summary = importer.run(source, control, shown.update)
            finally:
                shown.close()
    for line in summary.report_lines():
        click.echo(line)
    ctx.exit(_exit_code(summary, signals))
