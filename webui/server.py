"""Serving the web UI with waitress: a pure-Python, multi-threaded production WSGI server (any platform)."""

from __future__ import annotations

import threading
from typing import Any

from flask import Flask
from waitress.server import create_server

from mailgate.listen import parse_listen

DEFAULT_THREADS = 8


class WebServer:
    """A waitress server for the app on a HOST:PORT listen address; run in the foreground or a thread."""

    def __init__(self, app: Flask, listen: str, *, threads: int = DEFAULT_THREADS) -> None:
        host, port = parse_listen(listen)
        self._server: Any = create_server(app, host=host, port=port, threads=threads, ident="mailgate")
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> tuple[str, int]:
        """The bound host and port (port 0 in the listen address: the one the system chose)."""
        return str(self._server.effective_host), int(self._server.effective_port)

    def serve_forever(self) -> None:
        """Serve until SystemExit/KeyboardInterrupt in this thread or stop() from another."""
        self._server.run()

    def start(self) -> None:
        """Serve in a background thread."""
        self._thread = threading.Thread(target=self.serve_forever, name="mailgate-web", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Close the listener and every connection, finish running requests, and end the loop."""
        server = self._server
        server.trigger.pull_trigger(lambda: _close_all(server))
        if self._thread is not None:
            self._thread.join(timeout)
        server.task_dispatcher.shutdown()


def _close_all(server: Any) -> None:
    from waitress import wasyncore

    wasyncore.close_all(server._map)
