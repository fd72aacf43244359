"""The IMAP accounts to serve, read from Znuny's mail_account table."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailgate.errors import ConfigError
from schema.mail import MailAccount

VALID_ID = 1
DEFAULT_FOLDER = "INBOX"
# account_type -> (TLS from the first byte, STARTTLS before login, default port)
SERVED_TYPES: dict[str, tuple[bool, bool, int]] = {
    "IMAP": (False, False, 143),
    "IMAPS": (True, False, 993),
    "IMAPTLS": (False, True, 143),
}


@dataclass(frozen=True, slots=True)
class ImapAccount:
    """Everything a poller needs to reach one mailbox."""

    id: int
    host: str
    port: int
    tls: bool
    login: str
    password: str = field(repr=False)
    folder: str = DEFAULT_FOLDER
    starttls: bool = False

    @property
    def label(self) -> str:
        """A name for logs: account id, login and server (never the password)."""
        return f"mail_account {self.id} ({self.login}@{self.host}:{self.port})"


def split_host(host: str, default_port: int) -> tuple[str, int]:
    """Split Znuny's host column, which may carry a port as Net::IMAP::Simple allows ("host:port")."""
    host = host.strip()
    if host.startswith("["):  # [IPv6]:port
        name, _, rest = host[1:].partition("]")
        port_text = rest.removeprefix(":")
    elif host.count(":") == 1:
        name, _, port_text = host.partition(":")
    else:
        name, port_text = host, ""
    if not port_text:
        return name, default_port
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ConfigError(f"mail_account host {host!r}: the port is not a number from 1 to 65535")
    return name, int(port_text)


def account_from_row(row: MailAccount) -> ImapAccount:
    """An ImapAccount from a mail_account row; the password is used as stored (Znuny keeps it as typed)."""
    tls, starttls, default_port = SERVED_TYPES[row.account_type.upper()]
    host, port = split_host(row.host, default_port)
    return ImapAccount(
        id=row.id,
        host=host,
        port=port,
        tls=tls,
        login=row.login,
        password=row.pw,
        folder=row.imap_folder or DEFAULT_FOLDER,
        starttls=starttls,
    )


def load_imap_accounts(session: Session, only: set[int] | None = None) -> list[ImapAccount]:
    """The valid mail_account rows of a served IMAP type (optionally only the given ids), by id."""
    query = select(MailAccount).where(MailAccount.valid_id == VALID_ID).order_by(MailAccount.id)
    rows = [row for row in session.scalars(query) if row.account_type.upper() in SERVED_TYPES]
    return [account_from_row(row) for row in rows if only is None or row.id in only]


def unserved_accounts(session: Session) -> list[str]:
    """Descriptions of valid accounts of an IMAP-like type this poller does not know, for a warning."""
    query = select(MailAccount).where(MailAccount.valid_id == VALID_ID)
    return [
        f"mail_account {row.id} ({row.account_type})"
        for row in session.scalars(query)
        if row.account_type.upper().startswith("IMAP") and row.account_type.upper() not in SERVED_TYPES
    ]
