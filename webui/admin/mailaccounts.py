"""Admin: IMAP accounts (Znuny's mail_account plus mailgate_imap_account) and a real connection test.

The password is write-only: the form never shows it, and an empty password field keeps the stored one.
"Test connection" connects, logs in and selects the folder exactly as the poller does
(mailgate.imap.client.open_session), under a time limit, and reports the outcome.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from flask import abort, flash, redirect, url_for
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from mailgate.errors import MailgateError
from mailgate.imap.accounts import SERVED_TYPES, ImapAccount, account_from_row
from mailgate.imap.client import ImapTimeouts, open_session
from schema import AfterFetch, ImapAccountState, MailAccount, Queue
from schema.imap_state import DEFAULT_PROCESSED_FOLDER
from webui.access import admin_required
from webui.admin import bp
from webui.admin.common import queue_choices
from webui.admin.crud import Area, register_area
from webui.admin.forms import Field, FormErrors, id_select, valid_select
from webui.db import db

TEST_TIMEOUT = 20.0
TIMEOUTS = ImapTimeouts(connect=10.0, command=10.0)
AFTER_FETCH = (
    (AfterFetch.MOVE.value, "move to the processed folder"),
    (AfterFetch.SEEN.value, "leave in place, flagged seen"),
    (AfterFetch.DELETE.value, "delete"),
)


def account_fields(session: Session, row: MailAccount | None) -> list[Field]:
    """The IMAP account form."""
    types = [(name, name) for name in SERVED_TYPES]
    if row is not None and row.account_type not in SERVED_TYPES:
        types.append((row.account_type, f"{row.account_type} (not fetched by mailgate)"))
    return [
        Field("account_type", "Type", "select", required=True, choices=types,
              help="IMAP: plain (port 143), IMAPS: TLS (993), IMAPTLS: STARTTLS (143)"),
        Field("host", "Server", required=True, help="host or host:port"),
        Field("login", "Login", required=True),
        Field("pw", "Password", "password", help="never shown; leave empty to keep the stored one"),
        Field("imap_folder", "Folder", maxlength=250, help="empty: INBOX"),
        Field("trusted", "Trusted (X-OTRS headers of its mail apply)", "checkbox"),
        id_select("queue_id", "Queue", [("0", "(by the routing rules)"), *queue_choices(session)]),
        Field("after_fetch", "After fetching", "select", required=True, choices=AFTER_FETCH),
        Field("processed_folder", "Processed folder", maxlength=250,
              help=f"empty: {DEFAULT_PROCESSED_FOLDER}"),
        valid_select(),
        Field("comments", "Comment", maxlength=250),
    ]  # fmt: skip


def _check(_session: Session, row: MailAccount | None, values: dict[str, Any], errors: FormErrors) -> None:
    values["trusted"] = int(bool(values["trusted"]))
    values["imap_folder"] = values["imap_folder"] or None
    if not values.get("pw"):
        if row is None:
            errors["pw"] = "required"
        values.pop("pw", None)  # keep the stored password


def _save_state(session: Session, row: MailAccount, values: dict[str, Any], _errors: FormErrors) -> None:
    state = session.get(ImapAccountState, row.id)
    if state is None:
        state = ImapAccountState(account_id=row.id)
        session.add(state)
    state.after_fetch = values["after_fetch"]
    state.processed_folder = values["processed_folder"] or DEFAULT_PROCESSED_FOLDER


def _state_values(session: Session, row: MailAccount) -> dict[str, Any]:
    state = session.get(ImapAccountState, row.id)
    if state is None:
        return {"after_fetch": AfterFetch.MOVE.value, "processed_folder": DEFAULT_PROCESSED_FOLDER}
    return {"after_fetch": state.after_fetch, "processed_folder": state.processed_folder}


def _queue(session: Session, row: MailAccount) -> str:
    queue = session.get(Queue, row.queue_id) if row.queue_id else None
    return queue.name if queue is not None else "(by the routing rules)"


@dataclass(frozen=True, slots=True)
class ConnectionResult:
    """The outcome of a connection test, in words for the admin."""

    ok: bool
    message: str


async def _probe(account: ImapAccount) -> str:
    session = await open_session(account, TIMEOUTS)
    try:
        count = len(await session.uids_above(0))
        return f"folder {account.folder} selected, {count} message(s), UIDVALIDITY {session.uidvalidity}"
    finally:
        await session.logout()


def test_connection(account: ImapAccount, timeout: float = TEST_TIMEOUT) -> ConnectionResult:
    """Connect, log in and select the folder as the poller does; never raises, never shows the password."""
    where = f"{account.login}@{account.host}:{account.port}"
    try:
        detail = asyncio.run(asyncio.wait_for(_probe(account), timeout))
    except TimeoutError:
        return ConnectionResult(False, f"{where}: no answer within {timeout:.0f} s")
    except (MailgateError, OSError) as exc:
        return ConnectionResult(False, f"{where}: {exc}")
    return ConnectionResult(True, f"{where}: login succeeded; {detail}")


test_connection.__test__ = False  # type: ignore[attr-defined]  # not a pytest test when imported


@bp.post("/mail-accounts/<int:ident>/test")
@admin_required
def mail_accounts_test(ident: int) -> Response:
    """Test the stored account's connection and show the outcome on its page."""
    row = db().get(MailAccount, ident)
    if row is None:
        abort(404)
    if row.account_type.upper() not in SERVED_TYPES:
        flash(f"Type {row.account_type} is not fetched by mailgate; nothing to test.", "error")
    else:
        result = test_connection(account_from_row(row))
        flash(("Connection test passed: " if result.ok else "Connection test FAILED: ") + result.message,
              "success" if result.ok else "error")  # fmt: skip
    return redirect(url_for("admin.mail_accounts_edit", ident=ident))


register_area(
    bp,
    Area(
        name="mail_accounts",
        title="IMAP accounts",
        singular="IMAP account",
        model=MailAccount,
        fields=account_fields,
        columns=(
            ("Login", lambda _s, r: r.login),
            ("Server", lambda _s, r: r.host),
            ("Type", lambda _s, r: r.account_type),
            ("Folder", lambda _s, r: r.imap_folder or "INBOX"),
            ("Queue", _queue),
            ("Trusted", lambda _s, r: "yes" if r.trusted else "no"),
        ),
        order_by=MailAccount.id,
        check=_check,
        after_save=_save_state,
        values=_state_values,
        extra_template="admin/_mail_account_test.html",
    ),
)
