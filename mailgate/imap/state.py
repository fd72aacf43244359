"""Per-account IMAP progress and options (mailgate_imap_account): UIDVALIDITY, last UID, action."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from mailgate.errors import StorageUnavailableError
from schema.imap_state import DEFAULT_PROCESSED_FOLDER, AfterFetch, ImapAccountState

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Progress:
    """How far one account's folder is fetched, and what to do with fetched mail."""

    after_fetch: AfterFetch
    processed_folder: str
    folder: str | None
    uidvalidity: int | None
    last_uid: int


def _progress(row: ImapAccountState) -> Progress:
    return Progress(
        after_fetch=AfterFetch(row.after_fetch),
        processed_folder=row.processed_folder,
        folder=row.folder,
        uidvalidity=row.uidvalidity,
        last_uid=row.last_uid,
    )


class ImapStateStore:
    """Reads and writes mailgate_imap_account; every database failure becomes StorageUnavailableError."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def _run(self, work: Callable[[Session], T]) -> T:
        try:
            with self._sessions() as session:
                return work(session)
        except SQLAlchemyError as exc:
            raise StorageUnavailableError(f"IMAP state not readable/writable: {type(exc).__name__}") from exc

    def load(self, account_id: int) -> Progress:
        """The account's progress; the first call creates its row with the defaults (move)."""
        return self._run(lambda session: _progress(_row(session, account_id)))

    def begin_folder(self, account_id: int, folder: str, uidvalidity: int) -> Progress:
        """Record the selected folder's UIDVALIDITY; a new folder or UIDVALIDITY starts again from UID 0."""
        return self._run(lambda session: _begin_folder(session, account_id, folder, uidvalidity))

    def advance(self, account_id: int, uidvalidity: int, last_uid: int) -> None:
        """Raise last_uid (never lower it), if the UIDVALIDITY is still the recorded one."""

        def work(session: Session) -> None:
            session.execute(
                update(ImapAccountState)
                .where(
                    ImapAccountState.account_id == account_id,
                    ImapAccountState.uidvalidity == uidvalidity,
                    ImapAccountState.last_uid < last_uid,
                )
                .values(last_uid=last_uid, changed_at=func.current_timestamp())
            )
            session.commit()

        self._run(work)

    def configure(
        self, account_id: int, after_fetch: AfterFetch | None = None, processed_folder: str | None = None
    ) -> Progress:
        """Set the account's after-fetch action and/or processed folder."""

        def work(session: Session) -> Progress:
            row = _row(session, account_id)
            if after_fetch is not None:
                row.after_fetch = after_fetch.value
            if processed_folder:
                row.processed_folder = processed_folder
            session.commit()
            return _progress(row)

        return self._run(work)


def _row(session: Session, account_id: int) -> ImapAccountState:
    row = session.get(ImapAccountState, account_id)
    if row is not None:
        return row
    session.add(
        ImapAccountState(
            account_id=account_id,
            after_fetch=AfterFetch.MOVE.value,
            processed_folder=DEFAULT_PROCESSED_FOLDER,
            last_uid=0,
        )
    )
    try:
        session.commit()
    except IntegrityError:  # another poller created it meanwhile
        session.rollback()
    found = session.get(ImapAccountState, account_id, populate_existing=True)
    assert found is not None
    return found


def _begin_folder(session: Session, account_id: int, folder: str, uidvalidity: int) -> Progress:
    row = _row(session, account_id)
    if row.folder != folder or row.uidvalidity != uidvalidity:
        if row.uidvalidity is not None:
            log.warning(
                "mail_account %s: folder %s UIDVALIDITY %s -> %s; fetching it again from the start "
                "(the spool records mail it already holds as duplicates)",
                account_id,
                folder,
                row.uidvalidity,
                uidvalidity,
            )
        row.folder, row.uidvalidity, row.last_uid = folder, uidvalidity, 0
        row.changed_at = func.current_timestamp()
        session.commit()
        session.refresh(row)
    return _progress(row)
