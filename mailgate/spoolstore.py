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
        mark = "?" if engine.dialect.paramstyle == "qmark" else "%s"
        values = ", ".join([mark] * 14)
        self._row_values = f"({values})"
        self._insert_new = (
            f"INSERT INTO mailgate_inbound ({_COLUMNS}) VALUES {{rows}}"
            " ON CONFLICT DO NOTHING RETURNING id, dedup_key, imap_account_id, imap_uidvalidity, imap_uid"
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
        ids = self._insert_rows(cursor, mails)
        received = InboundState.RECEIVED
        return [
            Accepted(spool_id, received) if spool_id is not None else self._conflict(cursor, mail)
            for spool_id, mail in zip(ids, mails, strict=True)
        ]

    def _insert_rows(self, cursor: Any, mails: Sequence[NewMail]) -> list[int | None]:
        """One multi-row INSERT; the spool id of each mail, None for one that conflicted.

        RETURNING has no guaranteed order, so rows are matched by dedup key and IMAP origin; of two
        equal mails in one batch the first takes the row, the second is then a duplicate of it.
        """
        params = [
            value for mail in mails for value in mail.values(InboundState.RECEIVED, mail.dedup_key, None)
        ]
        cursor.execute(self._insert_new.format(rows=", ".join([self._row_values] * len(mails))), params)
        inserted: dict[tuple[Any, ...], int] = {tuple(row[1:]): row[0] for row in cursor.fetchall()}
        return [inserted.pop(_key(mail), None) for mail in mails]

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


def _key(mail: NewMail) -> tuple[Any, ...]:
    """What identifies a mail's row among those one INSERT returned."""
    imap = mail.imap
    return (mail.dedup_key, *((imap.account_id, imap.uidvalidity, imap.uid) if imap else (None, None, None)))
