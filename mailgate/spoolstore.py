"""Store new mails in mailgate_inbound, many in one transaction and one commit, on the raw DBAPI connection.

The hot path of the intake: no ORM, one prepared INSERT per mail, conflicts (a re-delivery, an IMAP
re-fetch) sorted out in the same transaction, so that one duplicate never fails the other mails.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import PoolProxiedConnection

from schema.spool import InboundState

log = logging.getLogger(__name__)

_COLUMNS = (
    "raw, sha256, size, message_id, dedup_key, source, envelope_sender, envelope_recipients,"
    " imap_account_id, imap_uidvalidity, imap_uid, state, attempts, duplicate_of"
)


@dataclass(frozen=True, slots=True)
class ImapOrigin:
    """Where an IMAP-fetched mail came from: account, UIDVALIDITY and UID."""

    account_id: int
    uidvalidity: int
    uid: int


@dataclass(frozen=True, slots=True)
class Accepted:
    """The outcome of storing a mail: the spool row that holds it, and whether it was a re-delivery."""

    spool_id: int
    state: InboundState
    duplicate_of: int | None = None


@dataclass(frozen=True, slots=True)
class NewMail:
    """The column values of one mail to store (see mailgate.intake.new_mail)."""

    raw: bytes
    sha256: str
    message_id: str | None
    dedup_key: str
    source: str
    envelope_sender: str | None
    envelope_recipients: str
    imap: ImapOrigin | None

    def values(self, state: InboundState, dedup_key: str | None, duplicate_of: int | None) -> tuple[Any, ...]:
        """The INSERT parameters, in _COLUMNS order."""
        imap = self.imap
        return (
            self.raw,
            self.sha256,
            len(self.raw),
            self.message_id,
            dedup_key,
            self.source,
            self.envelope_sender,
            self.envelope_recipients,
            imap.account_id if imap else None,
            imap.uidvalidity if imap else None,
            imap.uid if imap else None,
            state.value,
            0,
            duplicate_of,
        )


class NotACopyError(Exception):
    """A row conflicted, yet no stored mail is its first copy: the database refused it for another reason."""


class BatchFailedError(Exception):
    """The batch's transaction failed and was rolled back (unless outcome_unknown: the COMMIT got no answer).

    transient: the database or the connection failed (unreachable, restarted, locked), not one of the mails;
    stale: a pooled connection was found dead before the COMMIT: the batch may be stored again on a new one.
    """

    def __init__(self, cause: BaseException, *, transient: bool, stale: bool, outcome_unknown: bool) -> None:
        super().__init__(f"{type(cause).__name__}: {cause}")
        self.cause = cause
        self.transient = transient
        self.stale = stale
        self.outcome_unknown = outcome_unknown


class SpoolStatements:
    """The SQL of the intake for one engine's dialect, and the transaction that runs it."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._sqlite = engine.dialect.name == "sqlite"
        self._pipelined = engine.dialect.driver == "psycopg"
        mark = "?" if engine.dialect.paramstyle == "qmark" else "%s"
        values = ", ".join([mark] * 14)
        self._insert_new = (
            f"INSERT INTO mailgate_inbound ({_COLUMNS}) VALUES ({values}) ON CONFLICT DO NOTHING RETURNING id"
        )
        self._insert_duplicate = f"INSERT INTO mailgate_inbound ({_COLUMNS}) VALUES ({values}) RETURNING id"
        self._first_copy = f"SELECT id FROM mailgate_inbound WHERE dedup_key = {mark}"
        self._imap_row = (
            "SELECT id, state, duplicate_of FROM mailgate_inbound"
            f" WHERE imap_account_id = {mark} AND imap_uidvalidity = {mark} AND imap_uid = {mark}"
        )

    def store(self, mails: Sequence[NewMail]) -> list[Accepted]:
        """Insert all mails in one transaction and commit once; raise BatchFailedError if it failed."""
        connection: PoolProxiedConnection | None = None
        committing = False
        try:
            connection = self._engine.raw_connection()
            cursor = connection.cursor()
            try:
                if self._sqlite:  # the write lock first, so no reader's snapshot blocks the upgrade
                    cursor.execute("BEGIN IMMEDIATE")
                stored = self._insert(cursor, mails)
            finally:
                cursor.close()
            committing = True
            connection.commit()
            return stored
        except Exception as exc:
            raise self._failed(connection, exc, committing) from exc
        finally:
            if connection is not None:
                connection.close()

    def _failed(
        self, connection: PoolProxiedConnection | None, exc: Exception, committing: bool
    ) -> BatchFailedError:
        """Roll back (or throw away a dead connection) and describe the failure."""
        cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
        dbapi = self._engine.dialect.loaded_dbapi
        disconnected = connection is None or (
            isinstance(cause, dbapi.Error) and self._engine.dialect.is_disconnect(cause, connection, None)
        )
        if connection is not None:
            if disconnected:
                connection.invalidate(cause)
            else:
                try:
                    connection.rollback()
                except Exception:
                    connection.invalidate()
        transient = disconnected or isinstance(cause, dbapi.OperationalError)
        return BatchFailedError(
            cause,
            transient=transient,
            stale=disconnected and connection is not None and not committing,
            outcome_unknown=disconnected and committing,
        )

    def _insert(self, cursor: Any, mails: Sequence[NewMail]) -> list[Accepted]:
        """First copies first (ON CONFLICT DO NOTHING), then the conflicts: re-fetches and duplicates."""
        params = [mail.values(InboundState.RECEIVED, mail.dedup_key, None) for mail in mails]
        ids = self._insert_pipelined(cursor, params) if self._pipelined else self._insert_each(cursor, params)
        received = InboundState.RECEIVED
        return [
            Accepted(spool_id, received) if spool_id is not None else self._conflict(cursor, mail)
            for spool_id, mail in zip(ids, mails, strict=True)
        ]

    def _insert_each(self, cursor: Any, params: list[tuple[Any, ...]]) -> list[int | None]:
        """One INSERT after the other (SQLite: no round trips to save)."""
        ids: list[int | None] = []
        for values in params:
            cursor.execute(self._insert_new, values)
            row = cursor.fetchone()
            ids.append(row[0] if row else None)
        return ids

    def _insert_pipelined(self, cursor: Any, params: list[tuple[Any, ...]]) -> list[int | None]:
        """All INSERTs in one round trip (psycopg's pipeline), with one RETURNING result per mail."""
        cursor.executemany(self._insert_new, params, returning=True)
        ids: list[int | None] = []
        while True:
            row = cursor.fetchone()
            ids.append(row[0] if row else None)
            if not cursor.nextset():
                return ids

    def _conflict(self, cursor: Any, mail: NewMail) -> Accepted:
        """The mail conflicted with a stored one: the IMAP row it was fetched into, or a new duplicate row."""
        if mail.imap is not None:
            imap = mail.imap
            cursor.execute(self._imap_row, (imap.account_id, imap.uidvalidity, imap.uid))
            if (known := cursor.fetchone()) is not None:
                return Accepted(known[0], InboundState(known[1]), known[2])
        cursor.execute(self._first_copy, (mail.dedup_key,))
        first = cursor.fetchone()
        if first is None:
            raise NotACopyError(f"mail with Message-ID {mail.message_id} conflicts, but with no stored copy")
        cursor.execute(self._insert_duplicate, mail.values(InboundState.DUPLICATE, None, first[0]))
        duplicate = cursor.fetchone()
        return Accepted(duplicate[0], InboundState.DUPLICATE, first[0])
