"""Bounds that keep hostile mail from costing unbounded time or memory, and parse options."""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ParseOptions:
    """How parse() treats a mail: remote content in HTML and the resource bounds."""

    allow_remote_content: bool = False
    max_parts: int = 500
    max_depth: int = 30
    max_html_chars: int = 1_000_000
    max_headers: int = 1000
    max_lines: int = 1_000_000
    time_budget: float = 1.5


class Budget:
    """The per-mail time budget: once spent, parsing falls back to a safe reduced form.

    It counts this thread's CPU time, so a busy machine or other worker threads do not
    change what a mail parses to.
    """

    def __init__(self, seconds: float) -> None:
        """Start the clock now."""
        self.deadline = time.thread_time() + seconds
        self.exhausted = False

    def spent(self) -> bool:
        """True (and stays true) once the budget is used up."""
        if not self.exhausted and time.thread_time() > self.deadline:
            self.exhausted = True
        return self.exhausted
