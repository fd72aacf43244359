"""Progress of an import: a bar on a terminal, a plain log line every few seconds otherwise."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, Protocol, TextIO

import click

from mailgate.importer.summary import ImportSummary

log = logging.getLogger(__name__)

LOG_INTERVAL_SECONDS = 10.0
REDRAWS = 1000  # at most this many redraws of the bar over a whole import


class Progress(Protocol):
    """Receives each processed item's advance and the running tally."""

    def update(self, advance: int, summary: ImportSummary) -> None:
        """Record `advance` more units done."""
        ...

    def close(self) -> None:
        """Finish the display."""
        ...


class BarProgress:
    """click's progress bar (ETA, rate) with the running counters beside it."""

    def __init__(self, total: int, stream: TextIO) -> None:
        self._bar: Any = click.progressbar(
            length=max(total, 1),
            label="importing",
            file=stream,
            item_show_func=self._show,
            update_min_steps=max(1, total // REDRAWS),
        )
        self._bar.__enter__()

    @staticmethod
    def _show(summary: ImportSummary | None) -> str | None:
        return summary.brief() if summary is not None else None

    def update(self, advance: int, summary: ImportSummary) -> None:
        """Move the bar."""
        self._bar.update(advance, summary)

    def close(self) -> None:
        """Draw the final state and end the line."""
        self._bar.__exit__(None, None, None)


class LogProgress:
    """Logs "N% ..., counters, rate" at most every `interval` seconds (for logs and pipes)."""

    def __init__(
        self,
        total: int,
        unit: str,
        interval: float = LOG_INTERVAL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._total, self._unit, self._interval, self._clock = total, unit, interval, clock
        self._done = 0
        self._started = self._last = clock()
        self._summary: ImportSummary | None = None

    def update(self, advance: int, summary: ImportSummary) -> None:
        """Count the advance; log when the interval has passed."""
        self._done += advance
        self._summary = summary
        if self._clock() - self._last >= self._interval:
            self._log()

    def close(self) -> None:
        """Log the final state."""
        if self._summary is not None:
            self._log()

    def _log(self) -> None:
        self._last = now = self._clock()
        assert self._summary is not None
        percent = 100.0 * self._done / self._total if self._total else 100.0
        rate = self._summary.read / max(now - self._started, 1e-9)
        log.info(
            "import %.0f%% of %d %s: %s (%.0f mails/s)",
            percent,
            self._total,
            self._unit,
            self._summary.brief(),
            rate,
        )
