"""A thin layer over aioimaplib: one logged-in session on one folder, failing fast when the link drops."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import aioimaplib

from mailgate.errors import MailgateError
from mailgate.imap.accounts import ImapAccount
from mailgate.imap.responses import (
    FetchedMail,
    fetched_mails,
    fetched_sizes,
    search_uids,
    uid_set,
    uidvalidity_of,
)

log = logging.getLogger(__name__)
T = TypeVar("T")
ALREADY_EXISTS = "ALREADYEXISTS"


class ImapError(MailgateError):
    """The IMAP server refused a command, timed out, or the connection dropped."""


@dataclass(frozen=True, slots=True)
class ImapTimeouts:
    """Seconds to wait: for the connection and greeting, and without any data during a command."""

    connect: float = 15.0
    command: float = 60.0


def _quote(mailbox: str) -> str:
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _check(response: Any, what: str) -> Any:
    if response.result != "OK":
        text = b" ".join(bytes(line) for line in response.lines if isinstance(line, (bytes, bytearray)))
        raise ImapError(f"{what}: {response.result} {text.decode(errors='replace')[:300]}")
    return response


class ImapSession:
    """A connected, logged-in IMAP session with one folder selected."""

    def __init__(self, client: aioimaplib.IMAP4, lost: asyncio.Future[None], timeouts: ImapTimeouts) -> None:
        self._client = client
        self._lost = lost
        self._timeouts = timeouts
        self.uidvalidity = 0

    @property
    def protocol(self) -> Any:
        """The aioimaplib protocol object (commands are sent through it to pass our own timeouts)."""
        return self._client.protocol

    def has_capability(self, name: str) -> bool:
        """Whether the server announced the capability (after login)."""
        return self._client.has_capability(name)

    async def _guard(self, work: Awaitable[T]) -> T:
        """Await `work`, but fail at once with ImapError when the connection drops meanwhile."""
        task: asyncio.Future[T] = asyncio.ensure_future(work)
        waited: set[asyncio.Future[Any]] = {task, self._lost}
        try:
            await asyncio.wait(waited, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            task.cancel()
            raise
        if not task.done():
            task.cancel()
            raise ImapError("the IMAP connection was lost")
        try:
            return task.result()
        except (TimeoutError, aioimaplib.AioImapException, OSError) as exc:
            raise ImapError(f"IMAP command failed: {type(exc).__name__} {exc}") from exc

    async def _command(self, work: Awaitable[Any], what: str) -> Any:
        return _check(await self._guard(asyncio.wait_for(work, self._timeouts.command)), what)

    async def select(self, folder: str) -> int:
        """Select the folder; returns its UIDVALIDITY."""
        response = await self._command(self.protocol.select(_quote(folder)), f"SELECT {folder}")
        uidvalidity = uidvalidity_of(response.lines)
        if uidvalidity is None:
            raise ImapError(f"SELECT {folder}: the server sent no UIDVALIDITY")
        self.uidvalidity = uidvalidity
        return uidvalidity

    async def ensure_folder(self, folder: str) -> None:
        """Create the folder unless it exists."""
        response = await self._guard(self.protocol.simple_command("CREATE", _quote(folder)))
        if response.result != "OK" and not any(ALREADY_EXISTS.encode() in bytes(x) for x in response.lines):
            _check(response, f"CREATE {folder}")

    async def uids_above(self, last_uid: int) -> list[int]:
        """UIDs greater than last_uid in the selected folder, ascending."""
        response = await self._command(
            self.protocol.search("UID", f"{last_uid + 1}:*", charset=None, by_uid=True), "UID SEARCH"
        )
        return search_uids(response.lines, last_uid)

    async def sizes(self, uids: Sequence[int]) -> dict[int, int]:
        """RFC822.SIZE of each UID (one round trip)."""
        response = await self._guard(
            self.protocol.fetch(
                uid_set(uids), "(UID RFC822.SIZE)", by_uid=True, timeout=self._timeouts.command
            )
        )
        return fetched_sizes(_check(response, "UID FETCH sizes").lines)

    async def fetch(self, uids: Sequence[int]) -> list[FetchedMail]:
        """The raw mails of these UIDs (one round trip; BODY.PEEK leaves the seen flag alone)."""
        response = await self._guard(
            self.protocol.fetch(
                uid_set(uids), "(UID BODY.PEEK[])", by_uid=True, timeout=self._timeouts.command
            )
        )
        return fetched_mails(_check(response, "UID FETCH").lines)

    async def move(self, uids: Sequence[int], folder: str) -> None:
        """Move the mails to the folder (MOVE, or COPY, flag deleted and expunge where MOVE is missing)."""
        if self.has_capability("MOVE"):
            await self._command(self.protocol.move(uid_set(uids), _quote(folder), by_uid=True), "UID MOVE")
            return
        await self._command(self.protocol.copy(uid_set(uids), _quote(folder), by_uid=True), "UID COPY")
        await self.delete(uids)

    async def flag_seen(self, uids: Sequence[int]) -> None:
        """Flag the mails as seen."""
        await self._command(
            self.protocol.store(uid_set(uids), "+FLAGS.SILENT", "(\\Seen)", by_uid=True), "UID STORE"
        )

    async def delete(self, uids: Sequence[int]) -> None:
        """Flag the mails deleted and expunge them (only them where UIDPLUS allows)."""
        await self._command(
            self.protocol.store(uid_set(uids), "+FLAGS.SILENT", "(\\Deleted)", by_uid=True), "UID STORE"
        )
        if self.has_capability("UIDPLUS"):
            await self._command(self.protocol.expunge(uid_set(uids), by_uid=True), "UID EXPUNGE")
        else:
            await self._command(self.protocol.expunge(), "EXPUNGE")

    async def wait_for_news(self, timeout: float, waiting: asyncio.Event | None = None) -> None:
        """IDLE until the server reports something or `timeout` passes; without IDLE, sleep then NOOP.

        `waiting` is set while the server is known to push news (IDLE accepted) or while sleeping.
        """
        if not self.has_capability("IDLE"):
            await self.poll_wait(timeout, waiting)
            return
        idle = await self._guard(self._client.idle_start(timeout=timeout))
        if waiting is not None:
            waiting.set()
        try:
            await self._guard(self._client.wait_server_push(timeout=timeout + self._timeouts.command))
        finally:
            if waiting is not None:
                waiting.clear()
            if self._client.has_pending_idle() and not self._lost.done():
                self._client.idle_done()
        await self._guard(asyncio.wait_for(idle, self._timeouts.command))

    async def poll_wait(self, timeout: float, waiting: asyncio.Event | None = None) -> None:
        """Sleep, then NOOP (which also notices a dropped connection)."""
        if waiting is not None:
            waiting.set()
        try:
            await self._guard(asyncio.sleep(timeout))
        finally:
            if waiting is not None:
                waiting.clear()
        await self._command(self.protocol.simple_command("NOOP"), "NOOP")

    async def logout(self) -> None:
        """Log out politely, ignoring a connection that is already gone."""
        with contextlib.suppress(Exception):
            if not self._lost.done():
                await asyncio.wait_for(self._client.logout(), 5)

    def abort(self) -> None:
        """Close the socket at once."""
        transport = self.protocol.transport
        if transport is not None:
            transport.close()


def _tls_context(account: ImapAccount) -> ssl.SSLContext | None:
    return ssl.create_default_context() if account.tls else None


async def _start_tls(client: aioimaplib.IMAP4, account: ImapAccount) -> None:
    """Upgrade the connection with STARTTLS before LOGIN; a server that refuses it gets no password."""
    protocol = client.protocol
    command = aioimaplib.Command("STARTTLS", protocol.new_tag(), loop=protocol.loop)
    _check(await protocol.execute(command), "STARTTLS")
    loop = asyncio.get_running_loop()
    try:
        protocol.transport = await loop.start_tls(
            protocol.transport, protocol, ssl.create_default_context(), server_hostname=account.host
        )
    except (OSError, ssl.SSLError) as exc:
        raise ImapError(f"STARTTLS: {exc}") from exc


async def open_session(account: ImapAccount, timeouts: ImapTimeouts) -> ImapSession:
    """Connect, log in and select the account's folder."""
    loop = asyncio.get_running_loop()
    lost: asyncio.Future[None] = loop.create_future()

    def on_lost(_exc: Exception | None) -> None:
        if not lost.done():
            lost.set_result(None)

    client = aioimaplib.IMAP4(
        host=account.host,
        port=account.port,
        timeout=timeouts.connect,
        conn_lost_cb=on_lost,
        ssl_context=_tls_context(account),
    )
    session = ImapSession(client, lost, timeouts)
    try:
        await session._guard(client.wait_hello_from_server())
        if account.starttls:
            await session._guard(asyncio.wait_for(_start_tls(client, account), timeouts.connect))
        _check(await session._guard(client.login(account.login, account.password)), "LOGIN")
        await session._guard(client.protocol.capability())
        await session.select(account.folder)
    except BaseException:
        session.abort()
        raise
    return session
