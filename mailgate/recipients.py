"""Which envelope recipients the listener accepts: our system addresses, their plus-addresses, our tokens."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mailgate.database import read_session
from mailgate.tickets.clock import now_utc
from mailgate.tokens import parse_agent_reply_address, parse_reply_address
from router.engine import base_address
from schema import SystemAddress

CACHE_SECONDS = 10.0
VALID = 1


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether a recipient is accepted, and why (for the log and the SMTP reply)."""

    accepted: bool
    reason: str


ANY_RECIPIENT = Verdict(True, "any recipient accepted (MAILGATE_SMTP_RECIPIENTS=any)")


class RecipientPolicy:
    """Accepts a valid system address, a plus-address of one, or a signed reply address."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        secret: str,
        *,
        accept_any: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sessions = sessions
        self._secret = secret
        self._accept_any = accept_any
        self._clock = clock
        self._lock = threading.Lock()  # one reload at a time; readers take the (addresses, loaded at) pair
        self._cache: tuple[frozenset[str], float] | None = None

    def check(self, address: str) -> Verdict:
        """The verdict for one RCPT TO address (reads the database at most every CACHE_SECONDS)."""
        if self._accept_any:
            return ANY_RECIPIENT
        return self._verdict(address, self._system_addresses())

    def check_cached(self, address: str) -> Verdict | None:
        """The verdict if it needs no database read (cache fresh, or any recipient taken), else None.

        The listener answers these on the event loop and sends only the others to a thread.
        """
        if self._accept_any:
            return ANY_RECIPIENT
        addresses = self._fresh_addresses()  # never waits for the lock: a reload may hold it
        return None if addresses is None else self._verdict(address, addresses)

    def _verdict(self, address: str, addresses: frozenset[str]) -> Verdict:
        wanted = address.strip().strip("<>").lower()
        if wanted in addresses:
            return Verdict(True, "system address")
        if base_address(wanted) in addresses:
            return Verdict(True, "plus-address of a system address")
        if parse_reply_address(self._secret, wanted) is not None:
            return Verdict(True, "signed reply address")
        if parse_agent_reply_address(self._secret, wanted, today=now_utc().date()) is not None:
            return Verdict(True, "signed agent reply address")
        return Verdict(False, "not a system address of this installation")

    def _fresh_addresses(self) -> frozenset[str] | None:
        cache = self._cache
        if cache is None or self._clock() - cache[1] >= CACHE_SECONDS:
            return None
        return cache[0]

    def _system_addresses(self) -> frozenset[str]:
        with self._lock:
            addresses = self._fresh_addresses()
            if addresses is None:
                with read_session(self._sessions) as session:  # never waits for a writer
                    rows = session.scalars(
                        select(SystemAddress.value0).where(SystemAddress.valid_id == VALID)
                    )
                    addresses = frozenset(row.strip().lower() for row in rows)
                self._cache = (addresses, self._clock())
            return addresses
