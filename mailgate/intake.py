"""Intake: store a received mail in the inbound spool and commit, before anyone acknowledges it."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Future

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from mailgate.errors import ConfigError, StorageUnavailableError
from mailgate.groupcommit import GroupCommitter
from mailgate.rawheaders import message_id_of
from mailgate.spoolstore import Accepted, BatchFailedError, ImapOrigin, NewMail, SpoolStatements
from schema.spool import ADDRESS_MAX, MESSAGE_ID_MAX, InboundSource, InboundState, make_dedup_key

__all__ = ["Accepted", "ImapOrigin", "Intake", "NewMail", "new_mail"]

log = logging.getLogger(__name__)

Outcome = Accepted | StorageUnavailableError
# a batch stops growing at this many bytes of mail: one INSERT stays far below PostgreSQL's 1 GB message
BATCH_BYTES = 32 * 1024 * 1024


def new_mail(
    raw: bytes,
    source: InboundSource,
    envelope_sender: str | None = None,
    envelope_recipients: Sequence[str] = (),
    imap: ImapOrigin | None = None,
) -> NewMail:
    """The spool values of a received mail: its bytes, sha256, bare Message-ID and dedup key."""
    digest = hashlib.sha256(raw).hexdigest()
    message_id = message_id_of(raw, MESSAGE_ID_MAX)
    return NewMail(
        raw=raw,
        sha256=digest,
        message_id=message_id,
        dedup_key=make_dedup_key(digest, message_id),
        source=source.value,
        envelope_sender=(envelope_sender or None) and envelope_sender[:ADDRESS_MAX],
        envelope_recipients=json.dumps(list(envelope_recipients)),
        imap=imap,
    )


class Intake:
    """Stores raw mails durably in mailgate_inbound; the one way mail enters mailgate.

    accept() stores one mail on the calling thread; submit() hands it to the writer thread, which
    stores the mails of all concurrent callers in one transaction (group commit). Either way the
    answer comes only after the COMMIT.
    """

    def __init__(
        self, sessions: sessionmaker[Session], on_stored: Callable[[int], None] | None = None
    ) -> None:
        self._sessions = sessions
        self._on_stored = on_stored
        self._statements: SpoolStatements | None = None
        self._writer: GroupCommitter[NewMail, Accepted] = GroupCommitter(
            self._store_many,
            self._notify_stored,
            weigh=_size,
            max_weight=BATCH_BYTES,
            name="spool-writer",
        )

    @property
    def writer(self) -> GroupCommitter[NewMail, Accepted]:
        """The group-commit writer behind submit() (its stats tell the batch sizes)."""
        return self._writer

    def accept(
        self,
        raw: bytes,
        source: InboundSource,
        envelope_sender: str | None = None,
        envelope_recipients: Sequence[str] = (),
        imap: ImapOrigin | None = None,
    ) -> Accepted:
        """Insert and commit the raw mail; raise StorageUnavailableError if it could not be stored."""
        mail = new_mail(raw, source, envelope_sender, envelope_recipients, imap)
        (outcome,) = self._store_many([mail])
        self._notify_stored([mail], [outcome])
        if isinstance(outcome, StorageUnavailableError):
            raise outcome
        return outcome

    def submit(
        self,
        raw: bytes,
        source: InboundSource,
        envelope_sender: str | None = None,
        envelope_recipients: Sequence[str] = (),
        imap: ImapOrigin | None = None,
    ) -> Future[Accepted]:
        """Hand the mail to the group-commit writer; the future's result is its Accepted once committed.

        The future fails with StorageUnavailableError when the mail could not be stored.
        """
        return self._writer.submit(new_mail(raw, source, envelope_sender, envelope_recipients, imap))

    def submit_all(self, mails: Sequence[NewMail]) -> list[Future[Accepted]]:
        """Hand several mails (see new_mail) to the writer to be stored in the same transaction."""
        return self._writer.submit_all(mails)

    def on_stored(self, callback: Callable[[int], None] | None) -> None:
        """Call `callback(spool_id)` after each newly stored mail (e.g. to queue its processing)."""
        self._on_stored = callback

    def close(self) -> None:
        """Store what was submitted and stop the writer thread."""
        self._writer.close()

    def _spool(self) -> SpoolStatements:
        if self._statements is None:
            engine = self._sessions.kw.get("bind")
            if not isinstance(engine, Engine):
                raise ConfigError("the intake's sessionmaker must be bound to an engine")
            self._statements = SpoolStatements(engine)
        return self._statements

    def _store_many(self, mails: Sequence[NewMail]) -> list[Outcome]:
        """Store the mails in one transaction; one mail the database refuses is retried alone, not all."""
        try:
            stored = self._store_once_more_if_stale(mails)
        except BatchFailedError as failed:
            if failed.transient or len(mails) == 1:
                return [_unavailable(mail, failed) for mail in mails]
            log.info("a batch of %d failed (%s); storing each mail alone", len(mails), failed)
            return [self._store_many([mail])[0] for mail in mails]
        for mail, accepted in zip(mails, stored, strict=True):
            log.info(
                "spool %s stored (%s, Message-ID %s)", accepted.spool_id, accepted.state, mail.message_id
            )
        return list(stored)

    def _store_once_more_if_stale(self, mails: Sequence[NewMail]) -> list[Accepted]:
        """Store; if the pooled connection had died while idle (server restart), once more on a fresh one.

        This replaces a ping before every use: one round trip less per batch.
        """
        statements = self._spool()
        try:
            return statements.store(mails)
        except BatchFailedError as failed:
            if not failed.stale:
                raise
            log.info("database connection was stale; storing again on a new one")
            return statements.store(mails)

    def _notify_stored(self, mails: Sequence[NewMail], outcomes: Sequence[Accepted | Exception]) -> None:
        """Tell the listener of each new mail; they are already committed, so a failure here loses nothing."""
        if self._on_stored is None:
            return
        for outcome in outcomes:
            if isinstance(outcome, Accepted) and outcome.state is InboundState.RECEIVED:
                try:
                    self._on_stored(outcome.spool_id)
                except Exception:
                    log.warning(
                        "spool %s stored but not queued; the sweeper will queue it",
                        outcome.spool_id,
                        exc_info=True,
                    )


def _size(mail: NewMail) -> int:
    return len(mail.raw)


def _unavailable(mail: NewMail, failed: BatchFailedError) -> StorageUnavailableError:
    """The error a caller gets for a mail that was not stored (the database's own error as its cause)."""
    log.warning("spool write failed for Message-ID %s: %s", mail.message_id, failed.cause)
    error = StorageUnavailableError(f"could not store the mail: {type(failed.cause).__name__}")
    error.__cause__ = failed.cause
    return error
