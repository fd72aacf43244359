"""The import loop: skip what the spool already holds (checked by sha256 in batches), store the rest."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from mailgate.errors import StorageUnavailableError
from mailgate.importer.items import SourceItem, SourceMail, UnreadableMail
from mailgate.importer.summary import ImportSummary, StopReason
from mailgate.intake import Intake
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


@dataclass(slots=True)
class _Seen:
    """The spool ids of the batch's digests already stored, and the newest id from before this run."""

    known: dict[str, int]
    horizon: int


class Importer:
    """Stores the mails of a source through Intake.accept(); a re-run stores nothing it already has."""

    def __init__(
        self,
        intake: Intake,
        sessions: sessionmaker[Session],
        batch_mails: int = BATCH_MAILS,
        batch_bytes: int = BATCH_BYTES,
    ) -> None:
        self._intake = intake
        self._sessions = sessions
        self._batch_mails = batch_mails
        self._batch_bytes = batch_bytes

    def run(
        self,
        items: Iterable[SourceItem],
        control: RunControl | None = None,
        on_progress: Callable[[int, ImportSummary], None] | None = None,
    ) -> ImportSummary:
        """Import every item (or until `control` says stop); never raises for one bad mail."""
        control = control or RunControl()
        summary = ImportSummary()
        try:
            horizon = self._newest_spool_id()
            for batch in _batches(items, self._batch_mails, self._batch_bytes):
                seen = _Seen(self._known_digests([digest for _, digest in batch if digest]), horizon)
                for item, digest in batch:
                    if self._stop_reason(control, summary):
                        return summary
                    self._import_one(item, digest, seen, summary)
                    if on_progress is not None:
                        on_progress(item.advance, summary)
        except StorageLostError as exc:
            summary.stopped, summary.stop_detail = StopReason.STORAGE, _failure_reason(exc)
        return summary

    def _stop_reason(self, control: RunControl, summary: ImportSummary) -> bool:
        if control.should_stop():
            summary.stopped = StopReason.INTERRUPTED
        elif control.limit is not None and summary.stored >= control.limit:
            summary.stopped = StopReason.LIMIT
        return summary.stopped is not StopReason.COMPLETE

    def _import_one(self, item: SourceItem, digest: str | None, seen: _Seen, summary: ImportSummary) -> None:
        summary.read += 1
        if isinstance(item, UnreadableMail):
            summary.fail(item.where, item.reason)
            return
        if digest is None:
            summary.fail(item.where, "empty")
            return
        if (first := seen.known.get(digest)) is not None:
            if first > seen.horizon:  # stored earlier in this run: the input holds the same mail twice
                summary.duplicates += 1
            else:
                summary.already_present += 1
            return
        try:
            accepted = self._intake.accept(item.raw, InboundSource.IMPORT)
        except StorageUnavailableError as exc:
            self._check_database(exc)
            summary.fail(item.where, _failure_reason(exc))
            return
        except Exception as exc:  # one mail must never end the import; it is reported instead
            log.warning("import of %s failed", item.where, exc_info=True)
            summary.fail(item.where, _failure_reason(exc))
            return
        seen.known[digest] = accepted.duplicate_of or accepted.spool_id
        if accepted.state is InboundState.DUPLICATE:
            summary.duplicates += 1
        else:
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
