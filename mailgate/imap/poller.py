"""One account's poller: fetch new mail in UID batches, spool it, and only then move/flag/delete it."""

from __future__ import annotations

import asyncio
import logging
import random
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from mailgate.errors import StorageUnavailableError
from mailgate.imap.accounts import ImapAccount
from mailgate.imap.client import ImapError, ImapSession, ImapTimeouts, open_session
from mailgate.imap.responses import FetchedMail, plan_batches
from mailgate.imap.state import ImapStateStore, Progress
from mailgate.intake import ImapOrigin, Intake
from schema.imap_state import AfterFetch
from schema.spool import InboundSource

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class PollerOptions:
    """Batch limits, waiting and back-off of a poller."""

    batch_count: int = 100  # mails per UID FETCH (at most size_window)
    batch_bytes: int = 16 * 1024 * 1024  # bytes per UID FETCH (a bigger mail is fetched alone)
    # UIDs whose sizes are asked in one round trip; aioimaplib parses a received chunk recursively,
    # one stack frame per response line, so a response must stay well under ~900 lines
    size_window: int = 100
    store_ahead: int = 2  # batches committing while the next is fetched (memory: store_ahead + 1 batches)
    idle_seconds: float = 25 * 60.0  # re-issue IDLE this often (RFC 2177: under 29 minutes)
    poll_seconds: float = 60.0  # wait between polls on servers without IDLE
    use_idle: bool = True  # False: poll even where the server offers IDLE
    backoff_first: float = 1.0
    backoff_max: float = 300.0
    timeouts: ImapTimeouts = field(default_factory=ImapTimeouts)


@dataclass
class PollerStats:
    """Counters of one poller, for logs, tests and the benchmark."""

    stored: int = 0  # accept() calls that committed (a re-fetch returns the row it already had)
    batches: int = 0
    sessions: int = 0
    errors: int = 0


class Backoff:
    """Exponential back-off with jitter, reset after a session that worked."""

    def __init__(self, first: float, maximum: float) -> None:
        self._first, self._max, self._next = first, maximum, first

    def reset(self) -> None:
        """Start again from the first delay."""
        self._next = self._first

    def next_delay(self) -> float:
        """The delay to wait now; the next one doubles up to the maximum."""
        delay = self._next
        self._next = min(self._max, self._next * 2)
        return delay * random.uniform(0.8, 1.2)


class AccountPoller:
    """Serves one mail account: drains the folder, then waits (IDLE or polling); reconnects on errors."""

    def __init__(
        self,
        account: ImapAccount,
        intake: Intake,
        state: ImapStateStore,
        executor: Executor,
        options: PollerOptions | None = None,
    ) -> None:
        self.account = account
        self.intake = intake
        self.state = state
        self.executor = executor
        self.options = options or PollerOptions()
        self.stats = PollerStats()
        self.drained = asyncio.Event()  # set each time the folder has been emptied of new mail
        self.waiting = asyncio.Event()  # set while idling (or sleeping) for new mail

    async def _db(self, func: Callable[..., T], *args: Any) -> T:
        """Run blocking database work in the executor, off the event loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, func, *args)

    async def run_forever(self) -> None:
        """Serve the account until cancelled."""
        backoff = Backoff(self.options.backoff_first, self.options.backoff_max)
        while True:
            try:
                await self._serve_session(backoff, forever=True)
            except (ImapError, StorageUnavailableError) as exc:
                await self._pause(backoff, str(exc))
            except Exception as exc:  # a bug or an unforeseen server reply must not end the account's poller
                log.exception("%s: unexpected error", self.account.label)
                await self._pause(backoff, f"unexpected {type(exc).__name__}")

    async def _pause(self, backoff: Backoff, reason: str) -> None:
        self.stats.errors += 1
        delay = backoff.next_delay()
        log.warning("%s: %s; reconnecting in %.1fs", self.account.label, reason, delay)
        await asyncio.sleep(delay)

    async def run_once(self) -> None:
        """Connect, fetch everything new, act on it, log out (raises on errors)."""
        await self._serve_session(Backoff(0, 0), forever=False)

    async def _serve_session(self, backoff: Backoff, *, forever: bool) -> None:
        session = await open_session(self.account, self.options.timeouts)
        self.stats.sessions += 1
        try:
            progress = await self._begin(session)
            backoff.reset()
            await self._drain(session, progress, sweep=progress.after_fetch is not AfterFetch.SEEN)
            while forever:
                await self._wait(session)
                progress = await self._db(self.state.load, self.account.id)
                await self._drain(session, progress, sweep=False)
        finally:
            if forever:
                session.abort()
            else:
                await session.logout()

    async def _wait(self, session: ImapSession) -> None:
        """Until the server reports news (IDLE) or the poll interval passed."""
        if self.options.use_idle and session.has_capability("IDLE"):
            await session.wait_for_news(self.options.idle_seconds, self.waiting)
        else:
            await session.poll_wait(self.options.poll_seconds, self.waiting)

    async def _begin(self, session: ImapSession) -> Progress:
        progress = await self._db(
            self.state.begin_folder, self.account.id, self.account.folder, session.uidvalidity
        )
        if progress.after_fetch is AfterFetch.MOVE:
            await session.ensure_folder(progress.processed_folder)
        return progress

    async def _drain(self, session: ImapSession, progress: Progress, *, sweep: bool) -> None:
        """Fetch until nothing new is left; `sweep` also re-handles mail left below last_uid (move/delete)."""
        last_uid = 0 if sweep else progress.last_uid
        pending = _Pending(self, session, progress, self.options.store_ahead)
        try:
            while uids := await session.uids_above(last_uid):
                for start in range(0, len(uids), self.options.size_window):
                    await self._fetch_window(session, uids[start : start + self.options.size_window], pending)
                last_uid = uids[-1]
            await pending.finish()
        finally:
            pending.abandon()
        self.drained.set()

    async def _fetch_window(self, session: ImapSession, window: Sequence[int], pending: _Pending) -> None:
        """Fetch a window of UIDs in bounded batches, committing each while fetching the next."""
        sizes = await session.sizes(window)
        count = min(self.options.batch_count, self.options.size_window)
        for batch in plan_batches(window, sizes, count, self.options.batch_bytes):
            await pending.add(await session.fetch(batch))

    async def _complete_batch(self, session: ImapSession, progress: Progress, uids: Sequence[int]) -> None:
        """After the batch is committed: the after-fetch action, then the recorded last UID."""
        if uids:
            await self._act(session, progress, uids)
            await self._db(self.state.advance, self.account.id, session.uidvalidity, max(uids))
        self.stats.batches += 1
        if uids:
            log.info("%s: %d mails spooled (UIDs %s..%s)", self.account.label, len(uids), uids[0], uids[-1])

    async def _store(self, uidvalidity: int, mails: Sequence[FetchedMail]) -> None:
        """Commit every mail of the batch to the spool (in parallel threads); raise if any failed."""
        results = await asyncio.gather(
            *(self._db(self._accept, uidvalidity, mail) for mail in mails), return_exceptions=True
        )
        failures = [result for result in results if isinstance(result, BaseException)]
        if failures:
            raise StorageUnavailableError(f"{len(failures)} of {len(mails)} mails not stored: {failures[0]}")

    def _accept(self, uidvalidity: int, mail: FetchedMail) -> None:
        origin = ImapOrigin(self.account.id, uidvalidity, mail.uid)
        self.intake.accept(mail.raw, InboundSource.IMAP, None, (), imap=origin)
        self.stats.stored += 1

    async def _act(self, session: ImapSession, progress: Progress, uids: Sequence[int]) -> None:
        """The after-fetch action, run only once every mail in `uids` is committed."""
        if progress.after_fetch is AfterFetch.MOVE:
            await session.move(uids, progress.processed_folder)
        elif progress.after_fetch is AfterFetch.DELETE:
            await session.delete(uids)
        else:
            await session.flag_seen(uids)


class _Pending:
    """Batches being committed while later ones are fetched; each is acted on, in order, once committed."""

    def __init__(self, poller: AccountPoller, session: ImapSession, progress: Progress, depth: int) -> None:
        self._poller, self._session, self._progress = poller, session, progress
        self._depth = max(1, depth)
        self._queue: deque[tuple[list[int], asyncio.Future[None]]] = deque()

    async def add(self, mails: Sequence[FetchedMail]) -> None:
        """Begin committing the batch in the database threads; complete the oldest beyond `depth`."""
        storing = asyncio.ensure_future(self._poller._store(self._session.uidvalidity, mails))
        self._queue.append(([mail.uid for mail in mails], storing))
        while len(self._queue) > self._depth:
            await self._complete_oldest()

    async def finish(self) -> None:
        """Wait for every batch's commit (raising if one failed), acting on each in order."""
        while self._queue:
            await self._complete_oldest()

    async def _complete_oldest(self) -> None:
        uids, task = self._queue.popleft()
        await task
        await self._poller._complete_batch(self._session, self._progress, uids)

    def abandon(self) -> None:
        """Stop waiting after an error (commits under way may still land; nothing acts on them)."""
        for _uids, task in self._queue:
            task.cancel()
        self._queue.clear()
