"""Admin IMAP accounts: create/edit with a write-only password and the after-fetch action; the
connection test logs in to a real Dovecot and reports success, a wrong password and a dead port."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from schema import ImapAccountState, MailAccount
from tests.integration.imap.dovecot import Dovecot, running_dovecot
from tests.support.net import free_port
from tests.webui.admin_support import post_form, sign_in_admin
from tests.webui.support import Client, WebEnv, mail

pytestmark = pytest.mark.integration
USERS = {"helpdesk": "imap-secret-1"}


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    with running_dovecot(USERS) as server:
        yield server


def account_form(host: str, password: str, **extra: str) -> dict[str, str]:
    return {
        "account_type": "IMAP", "host": host, "login": "helpdesk", "pw": password, "imap_folder": "",
        "queue_id": "0", "after_fetch": "seen", "processed_folder": "", "valid_id": "1", **extra,
    }  # fmt: skip


def account_by_comment(web: WebEnv, comment: str) -> MailAccount:
    with web.services.sessions() as session:
        return session.scalars(select(MailAccount).where(MailAccount.comments == comment)).one()


def test_an_account_is_saved_and_its_password_never_shown(web: WebEnv, client: Client) -> None:
    login = sign_in_admin(web, client)
    comment = f"acct {uuid.uuid4().hex[:8]}"
    queue_id = web.queue("users")
    missing = post_form(
        client, "/admin/mail-accounts/new", account_form("imap.example.org", "", comments=comment)
    )
    assert missing.status_code == 400
    data = account_form(
        "imap.example.org:1143", "pa55-word", comments=comment, trusted="1", queue_id=str(queue_id)
    )
    assert post_form(client, "/admin/mail-accounts/new", data).status_code == 302
    row = account_by_comment(web, comment)
    assert (row.host, row.pw, row.trusted, row.queue_id, row.account_type) == (
        "imap.example.org:1143", "pa55-word", 1, queue_id, "IMAP",
    )  # fmt: skip
    assert row.create_by == web.user_id(login)
    with web.services.sessions() as session:
        state = session.get_one(ImapAccountState, row.id)
        assert (state.after_fetch, state.processed_folder) == ("seen", "mailgate-processed")
    page = client.get(f"/admin/mail-accounts/{row.id}").get_data(as_text=True)
    assert "pa55-word" not in page and "imap.example.org:1143" in page
    assert "pa55-word" not in client.get("/admin/mail-accounts/").get_data(as_text=True)
    # an empty password keeps the stored one; the other settings change
    edited = account_form(
        "imap.example.org", "", comments=comment, account_type="IMAPTLS", after_fetch="move",
        processed_folder="Done",
    )  # fmt: skip
    assert post_form(client, f"/admin/mail-accounts/{row.id}", edited).status_code == 302
    row = account_by_comment(web, comment)
    assert (row.pw, row.account_type, row.trusted, row.queue_id) == ("pa55-word", "IMAPTLS", 0, 0)
    with web.services.sessions() as session:
        assert session.get_one(ImapAccountState, row.id).processed_folder == "Done"
    assert post_form(client, f"/admin/mail-accounts/{row.id}", {**edited, "pw": "new-one"}).status_code == 302
    assert account_by_comment(web, comment).pw == "new-one"


def test_the_connection_test_logs_in_to_the_real_server(
    web: WebEnv, client: Client, dovecot: Dovecot
) -> None:
    sign_in_admin(web, client)
    dovecot.deliver("helpdesk", [mail(subject="waiting in the mailbox")])
    host = f"127.0.0.1:{dovecot.imap_port}"
    cases = {
        "good": account_form(host, USERS["helpdesk"]),
        "wrong password": account_form(host, "not-the-password"),
        "no server": account_form(f"127.0.0.1:{free_port()}", USERS["helpdesk"]),
        "no folder": account_form(host, USERS["helpdesk"], imap_folder="Nope"),
    }
    pages = {}
    for name, data in cases.items():
        comment = f"{name} {uuid.uuid4().hex[:6]}"
        assert post_form(client, "/admin/mail-accounts/new", {**data, "comments": comment}).status_code == 302
        ident = account_by_comment(web, comment).id
        page = f"/admin/mail-accounts/{ident}"
        response = post_form(client, f"{page}/test", {}, page=page)
        assert response.status_code == 302 and response.headers["Location"] == page
        pages[name] = client.get(page).get_data(as_text=True)
    assert "Connection test passed" in pages["good"] and "login succeeded" in pages["good"]
    assert re.search(r"folder INBOX selected, [1-9]\d* message\(s\)", pages["good"])  # the mail delivered
    for name in ("wrong password", "no server", "no folder"):
        assert "Connection test FAILED" in pages[name], name
    assert "LOGIN" in pages["wrong password"] and USERS["helpdesk"] not in pages["wrong password"]
    assert "SELECT Nope" in pages["no folder"]
    assert "not-the-password" not in pages["wrong password"]
