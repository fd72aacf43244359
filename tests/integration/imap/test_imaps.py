"""IMAPS and IMAPTLS accounts: TLS from the first byte or by STARTTLS, the certificate verified."""

from __future__ import annotations

import asyncio
import dataclasses
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import update

from mailgate.imap.accounts import account_from_row
from mailgate.imap.client import ImapError
from schema.mail import MailAccount
from tests.integration.imap.conftest import Mailbox, make_mail, make_poller

pytestmark = pytest.mark.timeout(60)


def as_imaps(box: Mailbox) -> Mailbox:
    with box.sessions() as session:
        session.execute(
            update(MailAccount)
            .where(MailAccount.id == box.account.id)
            .values(account_type="IMAPS", host=f"127.0.0.1:{box.server.imaps_port}")
        )
        session.commit()
        account = account_from_row(session.get_one(MailAccount, box.account.id))
    assert account.tls and account.port == box.server.imaps_port
    return dataclasses.replace(box, account=account)


def test_imaps_with_a_trusted_certificate(
    mailbox: Mailbox, executor: ThreadPoolExecutor, monkeypatch: pytest.MonkeyPatch
) -> None:
    box = as_imaps(mailbox)
    mails = [make_mail(n, "imaps") for n in range(5)]
    box.server.write_maildir(box.user, mails)
    monkeypatch.setenv("SSL_CERT_FILE", str(box.server.certificate))  # OpenSSL's default trust store
    asyncio.run(make_poller(box, executor).run_once())
    assert sorted(row.raw for row in box.spooled()) == sorted(mails)


def test_imaps_refuses_an_untrusted_certificate(
    mailbox: Mailbox, executor: ThreadPoolExecutor, monkeypatch: pytest.MonkeyPatch
) -> None:
    box = as_imaps(mailbox)
    box.server.write_maildir(box.user, [make_mail(1, "untrusted")])
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    with pytest.raises(ImapError, match=r"CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
        asyncio.run(make_poller(box, executor).run_once())
    assert box.spool_count() == 0


def as_imaptls(box: Mailbox) -> Mailbox:
    with box.sessions() as session:
        session.execute(
            update(MailAccount).where(MailAccount.id == box.account.id).values(account_type="IMAPTLS")
        )
        session.commit()
        account = account_from_row(session.get_one(MailAccount, box.account.id))
    assert account.starttls and not account.tls and account.port == box.account.port
    return dataclasses.replace(box, account=account)


def test_imaptls_upgrades_with_starttls_before_login(
    mailbox: Mailbox, executor: ThreadPoolExecutor, monkeypatch: pytest.MonkeyPatch
) -> None:
    box = as_imaptls(mailbox)
    mails = [make_mail(n, "starttls") for n in range(4)]
    box.server.write_maildir(box.user, mails)
    monkeypatch.setenv("SSL_CERT_FILE", str(box.server.certificate))
    asyncio.run(make_poller(box, executor).run_once())
    assert sorted(row.raw for row in box.spooled()) == sorted(mails)
    assert f"user=<{box.user}>" in box.server.log() and "TLS" in box.server.log()


def test_imaptls_refuses_an_untrusted_certificate_before_sending_the_password(
    mailbox: Mailbox, executor: ThreadPoolExecutor, monkeypatch: pytest.MonkeyPatch
) -> None:
    box = as_imaptls(mailbox)
    box.server.write_maildir(box.user, [make_mail(1, "untrusted-starttls")])
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    with pytest.raises(ImapError, match=r"CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
        asyncio.run(make_poller(box, executor).run_once())
    assert box.spool_count() == 0
    assert f"user=<{box.user}>" not in box.server.log()  # no login was attempted
