"""Intake: store a received mail in the inbound spool and commit, before anyone acknowledges it."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from mailgate.errors import StorageUnavailableError
from mailgate.rawheaders import message_id_of
from schema.spool import ADDRESS_MAX, MESSAGE_ID_MAX, InboundMail, InboundSource, InboundState, make_dedup_key

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ImapOrigin:
    """Where an IMAP-fetched mail came from: account, UIDVALIDITY and UID."""

    account_id: int
    uidvalidity: int
    uid: int


@dataclass(frozen=True, slots=True)
class Accepted:
    """The outcome of accept(): the spool row that holds the mail, and whether it was a re-delivery."""

    spool_id: int
    state: InboundState
    duplicate_of: int | None = None


class Intake:
    """Stores raw mails durably in mailgate_inbound; the one way mail enters mailgate."""

    def __init__(
        self, sessions: sessionmaker[Session], on_stored: Callable[[int], None] | None = None
    ) -> None:
        self._sessions = sessions
        self._on_stored = on_stored

    def accept(
        self,
        raw: bytes,
        source: InboundSource,
        envelope_sender: str | None = None,
        envelope_recipients: Sequence[str] = (),
        imap: ImapOrigin | None = None,
    ) -> Accepted:
        """Insert and commit the raw mail; raise StorageUnavailableError if it could not be stored."""
        row = _new_row(raw, source, envelope_sender, envelope_recipients, imap)
        try:
            accepted = self._store_once_more_if_stale(row, imap)
        except SQLAlchemyError as exc:
            log.warning("spool write failed for Message-ID %s: %s", row.message_id, exc)
            raise StorageUnavailableError(f"could not store the mail: {type(exc).__name__}") from exc
        log.info("spool %s stored (%s, Message-ID %s)", accepted.spool_id, accepted.state, row.message_id)
        if accepted.state is InboundState.RECEIVED:
            self._notify(accepted.spool_id)
        return accepted

    def on_stored(self, callback: Callable[[int], None] | None) -> None:
        """Call `callback(spool_id)` after each newly stored mail (e.g. to queue its processing)."""
        self._on_stored = callback

    def _notify(self, spool_id: int) -> None:
        """Tell the listener; the mail is already committed, so a failure here loses nothing."""
        if self._on_stored is None:
            return
        try:
            self._on_stored(spool_id)
        except Exception:
            log.warning("spool %s stored but not queued; the sweeper will queue it", spool_id, exc_info=True)

    def _store_once_more_if_stale(self, row: InboundMail, imap: ImapOrigin | None) -> Accepted:
        """Store; if the pooled connection had died while idle (server restart), once more on a fresh one.

        This replaces a ping before every use: one round trip less per mail.
        """
        try:
            return self._store(row, imap)
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
            log.info("database connection was stale; storing again on a new one")
            return self._store(_copy_row(row), imap)

    def _store(self, row: InboundMail, imap: ImapOrigin | None, *, retried: bool = False) -> Accepted:
        """INSERT first (on SQLite that takes the write lock before any read); conflicts sorted out after."""
        with self._sessions() as session:
            session.add(row)
            try:
                session.commit()
                return Accepted(row.id, InboundState.RECEIVED)
            except IntegrityError:
                session.rollback()
                if retried:  # a conflict that is no copy of a stored mail: the database refuses the row
                    raise
        return self._store_duplicate(row, imap)

    def _store_duplicate(self, row: InboundMail, imap: ImapOrigin | None) -> Accepted:
        """A copy of a mail we already hold: keep it as a duplicate pointing at the first copy."""
        with self._sessions() as session:
            if imap is not None and (known := _find_imap(session, imap)) is not None:
                return known
            first = session.scalar(select(InboundMail.id).where(InboundMail.dedup_key == row.dedup_key))
            if first is None:  # the first copy's transaction lost a race and rolled back: store as new
                return self._store(_copy_row(row), imap, retried=True)
            duplicate = _copy_row(row)
            duplicate.dedup_key = None
            duplicate.state = InboundState.DUPLICATE.value
            duplicate.duplicate_of = first
            session.add(duplicate)
            session.commit()
            return Accepted(duplicate.id, InboundState.DUPLICATE, first)


def _find_imap(session: Session, imap: ImapOrigin) -> Accepted | None:
    """The spool row already holding this IMAP message (a re-fetch, not a re-delivery)."""
    found = session.execute(
        select(InboundMail.id, InboundMail.state, InboundMail.duplicate_of).where(
            InboundMail.imap_account_id == imap.account_id,
            InboundMail.imap_uidvalidity == imap.uidvalidity,
            InboundMail.imap_uid == imap.uid,
        )
    ).first()
    if found is None:
        return None
    return Accepted(found.id, InboundState(found.state), found.duplicate_of)


def _new_row(
    raw: bytes,
    source: InboundSource,
    envelope_sender: str | None,
    envelope_recipients: Sequence[str],
    imap: ImapOrigin | None,
) -> InboundMail:
    digest = hashlib.sha256(raw).hexdigest()
    message_id = message_id_of(raw, MESSAGE_ID_MAX)
    return InboundMail(
        raw=raw,
        sha256=digest,
        size=len(raw),
        message_id=message_id,
        dedup_key=make_dedup_key(digest, message_id),
        source=source.value,
        envelope_sender=(envelope_sender or None) and envelope_sender[:ADDRESS_MAX],
        envelope_recipients=json.dumps(list(envelope_recipients)),
        imap_account_id=imap.account_id if imap else None,
        imap_uidvalidity=imap.uidvalidity if imap else None,
        imap_uid=imap.uid if imap else None,
        state=InboundState.RECEIVED.value,
        attempts=0,
    )


def _copy_row(row: InboundMail) -> InboundMail:
    """A fresh, unsaved row with the same values (a rolled-back instance cannot be re-added)."""
    return InboundMail(
        raw=row.raw,
        sha256=row.sha256,
        size=row.size,
        message_id=row.message_id,
        dedup_key=row.dedup_key,
        source=row.source,
        envelope_sender=row.envelope_sender,
        envelope_recipients=row.envelope_recipients,
        imap_account_id=row.imap_account_id,
        imap_uidvalidity=row.imap_uidvalidity,
        imap_uid=row.imap_uid,
        state=row.state,
        attempts=0,
    )
