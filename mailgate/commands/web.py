"""`mailgate web`: the web UI alone (for production: several of these behind a reverse proxy is fine)."""

from __future__ import annotations

import contextlib
import signal
from types import FrameType

import click

from mailgate.cli import settings_from
from mailgate.logconfig import configure_logging
from mailgate.services import build_services


def _exit_on_sigterm(_signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(0)


@click.command()
@click.option("--threads", default=8, show_default=True, help="Request threads (waitress).")
@click.option("--listen", default=None, help="HOST:PORT to listen on (default MAILGATE_WEB_LISTEN).")
@click.pass_context
def web(ctx: click.Context, threads: int, listen: str | None) -> None:
    """Serve the web UI for agents and admins on MAILGATE_WEB_LISTEN with waitress."""
    from mailgate.workers.plugins import queue_committed_outbox
    from webui.app import create_app
    from webui.server import WebServer

    settings = settings_from(ctx)
    configure_logging(settings)
    services = build_services(settings)
    with contextlib.ExitStack() as stack:
        stack.callback(services.close)
        queue_committed_outbox(services, stack)  # answers go to the workers at once, not at the next sweep
        server = WebServer(
            create_app(settings, services=services), listen or settings.web_listen, threads=threads
        )
        host, port = server.address
        click.echo(f"mailgate: web UI on http://{host}:{port}/", err=True)
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
        server.serve_forever()
