"""The tally of one import run: what was stored, skipped and failed, and why the run stopped."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

FAILURES_KEPT = 1000


class StopReason(StrEnum):
    """Why an import run ended before the end of its source ("" when it read everything)."""

    COMPLETE = ""
    INTERRUPTED = "interrupted"
    LIMIT = "limit reached"
    STORAGE = "database unavailable"


@dataclass(frozen=True, slots=True)
class Failure:
    """A mail that was not stored: where it is in the source and why."""

    where: str
    reason: str


@dataclass(slots=True)
class ImportSummary:
    """Counters of one run; `failures` keeps the first FAILURES_KEPT reasons, `failed` counts all."""

    read: int = 0
    stored: int = 0
    duplicates: int = 0
    already_present: int = 0
    failed: int = 0
    failures: list[Failure] = field(default_factory=list)
    stopped: StopReason = StopReason.COMPLETE
    stop_detail: str = ""

    def fail(self, where: str, reason: str) -> None:
        """Count a mail that could not be stored, keeping its reason."""
        self.failed += 1
        if len(self.failures) < FAILURES_KEPT:
            self.failures.append(Failure(where, reason))

    def brief(self) -> str:
        """One line with the counters, for progress output."""
        return (
            f"{self.stored} stored, {self.already_present} already present, "
            f"{self.duplicates} duplicates skipped, {self.failed} failed"
        )

    def report_lines(self, shown_failures: int = 100) -> list[str]:
        """The end-of-run summary, with up to `shown_failures` failures and their reasons."""
        lines = [
            f"read:                {self.read}",
            f"stored:              {self.stored}",
            f"already present:     {self.already_present}",
            f"duplicates skipped:  {self.duplicates}",
            f"failed:              {self.failed}",
        ]
        lines += [f"  {failure.where}: {failure.reason}" for failure in self.failures[:shown_failures]]
        if self.failed > shown_failures:
            lines.append(f"  ... and {self.failed - shown_failures} more")
        if self.stopped is not StopReason.COMPLETE:
            detail = f" ({self.stop_detail})" if self.stop_detail else ""
            lines.append(f"stopped early: {self.stopped.value}{detail}; run the same import again to resume")
        return lines
