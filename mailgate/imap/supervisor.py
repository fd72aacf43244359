"""Run the pollers of all served IMAP accounts at once, each in its own task, until stopped."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from concurrent.futures import Executor

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from mailgate.imap.accounts import ImapAccount, load_imap_accounts, unserved_accounts
from mailgate.imap.poller import AccountPoller, PollerOptions
from mailgate.imap.state import ImapStateStore
from mailgate.intake import Intake

log = logging.getLogger(__name__)


class ImapSupervisor:
    """Builds one AccountPoller per account and runs them concurrently."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        intake: Intake,
        executor: Executor,
        options: PollerOptions | None = None,
    ) -> None:
        self._sessions = sessions
        self._intake = intake
        self._executor = executor
        self._options = options or PollerOptions()
        self._state = ImapStateStore(sessions)
        self.pollers: list[AccountPoller] = []

    def load_accounts(self, only: set[int] | None = None) -> list[ImapAccount]:
        """The accounts to serve (valid, IMAP or IMAPS); warns about IMAP accounts it cannot serve."""
        with self._sessions() as session:
            for skipped in unserved_accounts(session):
                log.warning("%s is not served: only IMAP and IMAPS accounts are", skipped)
            return load_imap_accounts(session, only)

    def _pollers_for(self, accounts: list[ImapAccount]) -> list[AccountPoller]:
        self.pollers = [
            AccountPoller(account, self._intake, self._state, self._executor, self._options)
            for account in accounts
        ]
        return self.pollers

    async def serve(
        self, stop: asyncio.Event, only: set[int] | None = None, reload_seconds: float = 60.0
    ) -> None:
        """Run a poller per account until `stop` is set, re-reading mail_account every reload_seconds.

        New accounts get a poller; removed, invalidated or edited ones (host, login, password,
        folder) have theirs stopped and, when still valid, started again with the new values.
        """
        running: dict[int, tuple[AccountPoller, asyncio.Task[None]]] = {}
        loop = asyncio.get_running_loop()
        try:
            while not stop.is_set():
                try:
                    accounts = await loop.run_in_executor(self._executor, self.load_accounts, only)
                except SQLAlchemyError as exc:
                    log.warning("mail_account not readable (%s); keeping the accounts served so far", exc)
                else:
                    await self._reconcile(running, accounts)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), reload_seconds)
        finally:
            await _stop_all([task for _poller, task in running.values()])

    async def _reconcile(
        self, running: dict[int, tuple[AccountPoller, asyncio.Task[None]]], accounts: list[ImapAccount]
    ) -> None:
        wanted = {account.id: account for account in accounts}
        stale = [key for key, (poller, _task) in running.items() if wanted.get(key) != poller.account]
        await _stop_all([running.pop(key)[1] for key in stale])
        for account in accounts:
            if account.id not in running:
                poller = AccountPoller(account, self._intake, self._state, self._executor, self._options)
                task = asyncio.create_task(poller.run_forever(), name=f"imap-{account.id}")
                task.add_done_callback(_log_crash)
                running[account.id] = (poller, task)
                log.info("serving %s", account.label)
        self.pollers = [poller for poller, _task in running.values()]

    async def run_once(self, accounts: list[ImapAccount]) -> dict[int, str]:
        """Drain every account once, concurrently; returns account id -> error text for those that failed."""
        pollers = self._pollers_for(accounts)
        results = await asyncio.gather(*(poller.run_once() for poller in pollers), return_exceptions=True)
        return {
            poller.account.id: f"{type(result).__name__}: {result}"
            for poller, result in zip(pollers, results, strict=True)
            if isinstance(result, BaseException)
        }


async def _stop_all(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task


def _log_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("IMAP poller %s stopped: %r", task.get_name(), task.exception())
