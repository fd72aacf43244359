"""The import loop: skip what the spool already holds (checked by sha256 in batches), store the rest."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import sys
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from mailgate.errors import StorageUnavailableError
from mailgate.importer.items import SourceItem, SourceMail, UnreadableMail
from mailgate.importer.summary import ImportSummary, StopReason
from mailgate.intake import Accepted, Intake
from schema.spool import InboundMail, InboundSource, InboundState

log = logging.getLogger(__name__)

BATCH_MAILS = 500
BATCH_BYTES = 32 * 1024 * 1024

Batch = list[tuple[SourceItem, str | None]]


class StorageLostError(StorageUnavailableError):
    """The database stopped answering during an import; the run ends and can be resumed later."""


@dataclass(frozen=True, slots=True)
class RunControl:
    """When to stop early: a callable polled before each mail, and an optional cap on newly stored mails."""

    should_stop: Callable[[], bool] = lambda: False
    limit: int | None = None


def _batches(items: Iterable[SourceItem], max_mails: int, max_bytes: int) -> Iterator[Batch]:
    """Items with the sha256 of their bytes, grouped so a batch holds few mails or few bytes."""
    batch: Batch = []
    size = 0
    for item in items:
        raw = item.raw if isinstance(item, SourceMail) else b""
        batch.append((item, hashlib.sha256(raw).hexdigest() if raw else None))
        size += len(raw)
        if len(batch) >= max_mails or size >= max_bytes:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [""])[0] or type(exc).__name__


def _failure_reason(exc: BaseException) -> str:
    """A short reason for the summary: the error and the first line of its cause (no SQL, no bytes)."""
    text = _first_line(exc) if isinstance(exc, StorageUnavailableError) else f"{type(exc).__name__}: {exc}"
    if exc.__cause__ is not None:
        text += f" ({_first_line(exc.__cause__)})"
    return text[:300]


PENDING = sys.maxsize  # stands for the spool id of a mail handed to accept() but not yet back


@dataclass(slots=True)
class _Seen:
    """The spool ids of the batch's digests already stored, and the newest id from before this run."""

    known: dict[str, int]
    horizon: int


@dataclass(slots=True)
class _Run:
    """The state of one run: its control, tally, progress callback and the mails waiting to be stored."""

    control: RunControl
    summary: ImportSummary
    on_progress: Callable[[int, ImportSummary], None] | None
    pending: list[tuple[SourceMail, str]]

    def progressed(self, item: SourceItem) -> None:
        """Report one more item done."""
        if self.on_progress is not None:
            self.on_progress(item.advance, self.summary)

    def must_stop(self) -> bool:
        """Whether to stop before the next mail (signal, or --limit counting the mails in flight)."""
        summary, limit = self.summary, self.control.limit
        if self.control.should_stop():
            summary.stopped = StopReason.INTERRUPTED
        elif limit is not None and summary.stored + len(self.pending) >= limit:
            summary.stopped = StopReason.LIMIT
        return summary.stopped is not StopReason.COMPLETE


class Importer:
    """Stores the mails of a source through Intake.accept(); a re-run stores nothing it already has.

    With `workers` > 1, up to that many mails are stored at once (one commit each, on separate
    connections), which lets PostgreSQL overlap the round trips and group the commits.
    """

    def __init__(
        self,
        intake: Intake,
        sessions: sessionmaker[Session],
        batch_mails: int = BATCH_MAILS,
        batch_bytes: int = BATCH_BYTES,
        workers: int = 1,
    ) -> None:
        self._intake = intake
        self._sessions = sessions
        self._batch_mails = batch_mails
        self._batch_bytes = batch_bytes
        self._workers = max(1, workers)
        self._executor: ThreadPoolExecutor | None = None

    def run(
        self,
        items: Iterable[SourceItem],
        control: RunControl | None = None,
        on_progress: Callable[[int, ImportSummary], None] | None = None,
    ) -> ImportSummary:
        """Import every item (or until `control` says stop); never raises for one bad mail."""
        state = _Run(control or RunControl(), ImportSummary(), on_progress, [])
        with contextlib.ExitStack() as stack:
            if self._workers > 1:
                self._executor = stack.enter_context(ThreadPoolExecutor(self._workers, "mailgate-import"))
            try:
                self._run_batches(items, state)
            except StorageLostError as exc:
                state.summary.stopped, state.summary.stop_detail = StopReason.STORAGE, str(exc)
            finally:
                self._executor = None
        return state.summary

    def _run_batches(self, items: Iterable[SourceItem], state: _Run) -> None:
        horizon = self._newest_spool_id()
        for batch in _batches(items, self._batch_mails, self._batch_bytes):
            seen = _Seen(self._known_digests([digest for _, digest in batch if digest]), horizon)
            for item, digest in batch:
                if state.must_stop():
                    self._store_pending(state, seen)
                    return
                if (to_store := self._triage(item, digest, seen, state.summary)) is not None:
                    state.pending.append(to_store)
                    seen.known[to_store[1]] = PENDING
                    if len(state.pending) >= self._workers:
                        self._store_pending(state, seen)
                else:
                    state.progressed(item)
            self._store_pending(state, seen)

    def _triage(
        self, item: SourceItem, digest: str | None, seen: _Seen, summary: ImportSummary
    ) -> tuple[SourceMail, str] | None:
        """Count the item as read; return it if it is a mail to store, else count why it is skipped."""
        summary.read += 1
        if isinstance(item, UnreadableMail):
            summary.fail(item.where, item.reason)
        elif digest is None:
            summary.fail(item.where, "empty")
        elif (first := seen.known.get(digest)) is None:
            return item, digest
        elif first > seen.horizon:  # stored earlier in this run: the input holds the same mail twice
            summary.duplicates += 1
        else:
            summary.already_present += 1
        return None

    def _store_pending(self, state: _Run, seen: _Seen) -> None:
        """Store the waiting mails (at once when there are workers) and count each outcome in order."""
        mails, state.pending = state.pending, []
        if self._executor is not None and len(mails) > 1:
            outcomes = list(self._executor.map(self._accept, [mail for mail, _ in mails]))
        else:
            outcomes = [self._accept(mail) for mail, _ in mails]
        for (mail, digest), outcome in zip(mails, outcomes, strict=True):
            self._count(mail, digest, outcome, seen, state.summary)
            state.progressed(mail)

    def _accept(self, mail: SourceMail) -> Accepted | Exception:
        try:
            return self._intake.accept(mail.raw, InboundSource.IMPORT)
        except Exception as exc:  # one mail must never end the import; it is reported instead
            return exc

    def _count(
        self,
        mail: SourceMail,
        digest: str,
        outcome: Accepted | Exception,
        seen: _Seen,
        summary: ImportSummary,
    ) -> None:
        if isinstance(outcome, Exception):
            seen.known.pop(digest, None)
            if isinstance(outcome, StorageUnavailableError):
                self._check_database(outcome)
            else:
                log.warning("import of %s failed", mail.where, exc_info=outcome)
            summary.fail(mail.where, _failure_reason(outcome))
        elif outcome.state is InboundState.DUPLICATE:
            seen.known[digest] = outcome.duplicate_of or outcome.spool_id
            summary.duplicates += 1
        else:
            seen.known[digest] = outcome.spool_id
            summary.stored += 1

    def _check_database(self, exc: StorageUnavailableError) -> None:
        """After a failed store: raise StorageLostError if the database itself is gone, not just this mail."""
        try:
            with self._sessions() as session:
                session.execute(select(1))
        except SQLAlchemyError as probe:
            raise StorageLostError(_first_line(probe)) from exc

    def _newest_spool_id(self) -> int:
        """The highest spool id before this run; rows above it were stored while the run went on."""
        try:
            with self._sessions() as session:
                return session.scalar(select(func.max(InboundMail.id))) or 0
        except SQLAlchemyError as exc:
            raise StorageLostError(_first_line(exc)) from exc

    def _known_digests(self, digests: list[str]) -> dict[str, int]:
        """Of these sha256 digests, those the spool already holds, with their first spool id (one query)."""
        if not digests:
            return {}
        query = (
            select(InboundMail.sha256, func.min(InboundMail.id))
            .where(InboundMail.sha256.in_(set(digests)))
            .group_by(InboundMail.sha256)
        )
        try:
            with self._sessions() as session:
                return {row[0]: row[1] for row in session.execute(query)}
        except SQLAlchemyError as exc:
            raise StorageLostError(_first_line(exc)) from exc
