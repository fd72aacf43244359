"""`mailgate imap`'s supervisor: every valid IMAP account served at once, each in its own task."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine, update

from mailgate.imap.supervisor import ImapSupervisor
from mailgate.intake import Intake
from schema.mail import MailAccount
from tests.integration.imap.conftest import FAST, Mailbox, add_account, make_mail, open_mailbox

pytestmark = pytest.mark.timeout(120)


def test_all_valid_imap_accounts_served_concurrently(
    mailbox: Mailbox, executor: ThreadPoolExecutor, engine: Engine
) -> None:
    other = open_mailbox(mailbox.server, engine)  # a second user, same database
    # neither an invalid account nor a POP3 one is served
    pop3 = add_account(mailbox.sessions, "nobody-pop", "x", "127.0.0.1:1")
    invalid = add_account(mailbox.sessions, "nobody-invalid", "x", "127.0.0.1:1")
    with mailbox.sessions() as session:
        session.execute(update(MailAccount).where(MailAccount.id == pop3.id).values(account_type="POP3"))
        session.execute(update(MailAccount).where(MailAccount.id == invalid.id).values(valid_id=2))
        session.commit()
    supervisor = ImapSupervisor(mailbox.sessions, Intake(mailbox.sessions), executor, FAST)
    accounts = supervisor.load_accounts()
    served = {account.id for account in accounts}
    assert {mailbox.account.id, other.account.id} <= served
    assert not served & {pop3.id, invalid.id}
    mine = {mailbox.account.id, other.account.id}

    async def scenario() -> None:
        stop = asyncio.Event()
        serving = asyncio.create_task(supervisor.serve(stop, only=mine))
        deadline = time.monotonic() + 20
        while len(supervisor.pollers) < 2 or not all(
            poller.waiting.is_set() for poller in supervisor.pollers
        ):
            assert time.monotonic() < deadline, "pollers did not start idling"
            await asyncio.sleep(0.02)
        await asyncio.to_thread(mailbox.server.deliver, mailbox.user, [make_mail(1, "sup-a")])
        await asyncio.to_thread(
            other.server.deliver, other.user, [make_mail(2, "sup-b"), make_mail(3, "sup-b")]
        )
        while not (mailbox.spool_count() == 1 and other.spool_count() == 2):
            assert time.monotonic() < deadline + 10, "mail not delivered to both accounts"
            await asyncio.sleep(0.02)
        stop.set()
        await asyncio.wait_for(serving, 10)

    asyncio.run(scenario())


def test_accounts_added_or_edited_while_serving_are_picked_up(
    mailbox: Mailbox, executor: ThreadPoolExecutor, engine: Engine
) -> None:
    with mailbox.sessions() as session:  # start with the account invalid: nothing to serve
        session.execute(update(MailAccount).where(MailAccount.id == mailbox.account.id).values(valid_id=2))
        session.commit()
    supervisor = ImapSupervisor(mailbox.sessions, Intake(mailbox.sessions), executor, FAST)

    async def scenario() -> None:
        stop = asyncio.Event()
        serving = asyncio.create_task(supervisor.serve(stop, only={mailbox.account.id}, reload_seconds=0.1))
        await asyncio.to_thread(mailbox.server.deliver, mailbox.user, [make_mail(1, "reload")])
        await asyncio.sleep(0.3)  # several reloads: the invalid account must stay unserved
        assert supervisor.pollers == [] and mailbox.spool_count() == 0
        with mailbox.sessions() as session:
            session.execute(
                update(MailAccount).where(MailAccount.id == mailbox.account.id).values(valid_id=1)
            )
            session.commit()
        deadline = time.monotonic() + 20
        while mailbox.spool_count() != 1:
            assert time.monotonic() < deadline, "the account was not picked up"
            await asyncio.sleep(0.02)
        stop.set()
        await asyncio.wait_for(serving, 10)

    asyncio.run(scenario())
