"""mailgate_imap_account: per IMAP account, what to do with fetched mail and how far it was fetched."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, DateTime, Integer, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from schema.base import Base

FOLDER_MAX = 250  # as mail_account.imap_folder
DEFAULT_PROCESSED_FOLDER = "mailgate-processed"


class AfterFetch(StrEnum):
    """What the poller does with a mail on the server once its spool row is committed."""

    MOVE = "move"  # move to processed_folder (created if missing); the default keeps every mail
    SEEN = "seen"  # leave it in place, flagged \\Seen
    DELETE = "delete"  # flag \\Deleted and expunge


class ImapAccountState(Base):
    """Table mailgate_imap_account: options and UID progress of one mail_account (no foreign key to it)."""

    __tablename__ = "mailgate_imap_account"
    __table_args__ = (
        CheckConstraint(
            "after_fetch IN ('move', 'seen', 'delete')", name="mailgate_imap_account_after_fetch"
        ),
    )

    # mail_account.id; no foreign key so that Znuny can still delete accounts
    account_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    after_fetch: Mapped[str] = mapped_column(String(10), server_default=AfterFetch.MOVE.value)
    processed_folder: Mapped[str] = mapped_column(String(FOLDER_MAX), server_default=DEFAULT_PROCESSED_FOLDER)
    # the folder, UIDVALIDITY and highest UID whose mail is committed (and acted on)
    folder: Mapped[str | None] = mapped_column(String(FOLDER_MAX))
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    changed_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.current_timestamp())
