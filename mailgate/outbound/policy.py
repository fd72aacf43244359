"""May we auto-reply to this mail? Every "no" is a Refusal with a code and a reason an admin can read.

The checks, in order (the first that refuses wins):

1. the mail itself: auto-generated mail (parsers' kinds auto-reply, bounce, delivery-report,
   complaint, list: list mail includes Precedence bulk/junk/list), RFC 3834 Auto-Submitted other
   than "no", a foreign X-Loop or X-No-Loop (Znuny's X-OTRS-Loop rule) and Microsoft's
   X-Auto-Response-Suppress asking for no auto-replies (All or AutoReply) all refuse;
2. the pipeline's plan: an agent's mail, or a routing rule that suppressed the auto-reply;
3. the recipient (Reply-To, else From, as Znuny answers): none at all, one of our own system
   addresses (or a sub-address of one), a MAILER-DAEMON/postmaster/abuse/no-reply address
   (Znuny's SendNoAutoResponseRegExp, widened to no-reply), or an address a bounce recorded as
   undeliverable (mailgate_undeliverable);
4. rate limits counted from mailgate_outbox: at most ``per_address_per_day`` auto-replies to one
   address (Znuny's PostmasterMaxEmailsPerAddress, 40) and ``per_ticket_per_day`` on one ticket
   within the last 24 hours (a rolling window rather than Znuny's calendar day).

Steps 1-3 are pure; step 4 reads the database (and on PostgreSQL serialises concurrent workers
on the same recipient with a transaction-level advisory lock, so two workers cannot both send
the 40th mail).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, func, select, text
from sqlalchemy.orm import Session

from parsers.model import Address, ParsedMessage
from schema.outbox import OutboxKind, OutboxMail, OutboxState
from schema.pipeline import UndeliverableAddress

AUTO_GENERATED_KINDS = frozenset({"auto-reply", "bounce", "delivery-report", "complaint", "list"})
DEFAULT_PER_ADDRESS_PER_DAY = 40  # Znuny's PostmasterMaxEmailsPerAddress default
DEFAULT_PER_TICKET_PER_DAY = 10
DEFAULT_NO_REPLY_PATTERN = (
    r"^(mailer-daemon|postmaster|abuse|no[-_.]?reply|do[-_.]?not[-_.]?reply|bounces?)(\+[^@]*)?@"
)
TOKEN_SUFFIX = re.compile(r"-[ta]-[0-9a-z-]+$")  # support-t-17-<sig>: reply tokens with "-" as separator
SUPPRESS_VALUES = frozenset({"all", "autoreply"})
WINDOW = timedelta(days=1)
COUNTED_STATES = tuple(state.value for state in OutboxState if state is not OutboxState.SUPPRESSED)


@dataclass(frozen=True, slots=True)
class AutoReplyLimits:
    """Rate limits and the no-reply address pattern; built from Settings at start-up."""

    per_address_per_day: int = DEFAULT_PER_ADDRESS_PER_DAY
    per_ticket_per_day: int = DEFAULT_PER_TICKET_PER_DAY
    no_reply_pattern: str = DEFAULT_NO_REPLY_PATTERN


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why no auto-reply goes out: a stable code for programs, a sentence for admins."""

    code: str
    reason: str

    @property
    def loop_protection(self) -> bool:
        """True for the rate limits, which Znuny records as 'LoopProtection' history."""
        return self.code in ("address_limit", "ticket_limit")


def auto_reply_recipient(parsed: ParsedMessage) -> Address | None:
    """Whom an auto-reply answers: the first Reply-To address, else From (Znuny's SendAutoResponse)."""
    for address in (*parsed.reply_to, parsed.from_):
        if address is not None and "@" in address.email:
            return address
    return None


def mail_refusal(parsed: ParsedMessage) -> Refusal | None:
    """Refuse auto-generated mail and mail whose sender asks for no auto-reply (pure)."""
    if parsed.kind in AUTO_GENERATED_KINDS:
        return Refusal("auto_generated", f"the mail is auto-generated ({parsed.kind})")
    submitted = (parsed.header("Auto-Submitted") or "").split(";")[0].split("(")[0].strip().lower()
    if submitted and submitted != "no":
        return Refusal("auto_generated", f"the mail carries Auto-Submitted: {submitted}")
    for name in ("X-Loop", "X-No-Loop"):
        if parsed.header(name) is not None:
            return Refusal("sender_opt_out", f"the mail carries {name} (loop or precedence header)")
    suppress = {item.strip().lower() for item in (parsed.header("X-Auto-Response-Suppress") or "").split(",")}
    if suppress & SUPPRESS_VALUES:
        value = parsed.header("X-Auto-Response-Suppress")
        return Refusal("sender_opt_out", f"the sender asks for none (X-Auto-Response-Suppress: {value})")
    return None


def own_address(address: str, system_addresses: Collection[str]) -> bool:
    """True for one of our system addresses or a sub-address or reply token of one (support+t-...@...)."""
    local, _, domain = address.strip().lower().rpartition("@")
    base = f"{TOKEN_SUFFIX.sub('', local.split('+', 1)[0])}@{domain}"
    return address.strip().lower() in system_addresses or base in system_addresses


def recipient_refusal(
    recipient: Address | None, system_addresses: Collection[str], limits: AutoReplyLimits
) -> Refusal | None:
    """Refuse a missing recipient, our own addresses and no-reply/daemon addresses (pure)."""
    if recipient is None:
        return Refusal("no_recipient", "the mail has no From or Reply-To address to answer")
    email = recipient.email.strip().lower()
    if own_address(email, system_addresses):
        return Refusal("own_address", f"{email} is one of our own system addresses")
    if re.search(limits.no_reply_pattern, email, re.IGNORECASE):
        return Refusal("no_reply_address", f"{email} is a mail daemon, postmaster or no-reply address")
    return None


UNDELIVERABLE = select(UndeliverableAddress.status, UndeliverableAddress.last_seen).where(
    UndeliverableAddress.address == bindparam("address")
)


def undeliverable_refusal(session: Session, email: str) -> Refusal | None:
    """Refuse an address a bounce recorded as failed."""
    row = session.connection().execute(UNDELIVERABLE, {"address": email.strip().lower()}).first()
    if row is None:
        return None
    reason = f"{email} is recorded as undeliverable (status {row.status}, last bounce {row.last_seen})"
    return Refusal("undeliverable", reason)


def recipient_lock_key(parsed: ParsedMessage) -> int | None:
    """The advisory lock key of the address an auto-reply to this mail would go to (None: no address).

    The pipeline takes it up front, sorted with a batch's other locks, so that two batches sharing two
    recipients in opposite order never deadlock; the policy's own lock is then a re-entrant no-op.
    """
    recipient = auto_reply_recipient(parsed)
    return None if recipient is None else _lock_key(recipient.email.strip().lower()[:250])


def _lock_key(key: str) -> int:
    digest = hashlib.blake2b(f"auto-reply:{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _lock_recipient(session: Session, key: str) -> None:
    """PostgreSQL: serialise workers counting and writing auto-replies to the same address."""
    if session.get_bind().dialect.name != "postgresql":
        return  # SQLite: the pipeline's transaction already holds the database's write lock
    session.connection().execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key(key)})


def _counting(condition: ColumnElement[bool]) -> Select[Any]:
    return select(func.count()).where(
        OutboxMail.kind == OutboxKind.AUTO_REPLY.value,
        condition,
        OutboxMail.create_time > bindparam("since"),
        OutboxMail.state.in_(COUNTED_STATES),
    )


COUNTS = select(
    _counting(OutboxMail.recipient_key == bindparam("key")).scalar_subquery(),
    _counting(OutboxMail.ticket_id == bindparam("ticket_id")).scalar_subquery(),
)


def limit_refusal(
    session: Session, email: str, ticket_id: int, now: datetime, limits: AutoReplyLimits
) -> Refusal | None:
    """Refuse when the address or the ticket had its share of auto-replies in the last 24 hours."""
    key = email.strip().lower()[:250]
    _lock_recipient(session, key)
    values = {"key": key, "ticket_id": ticket_id, "since": now - WINDOW}
    sent, on_ticket = session.connection().execute(COUNTS, values).one()
    if sent >= limits.per_address_per_day:
        limit = limits.per_address_per_day
        return Refusal("address_limit", f"{key} already got {sent} auto-replies in 24 hours (limit {limit})")
    if on_ticket >= limits.per_ticket_per_day:
        limit = limits.per_ticket_per_day
        reason = f"ticket {ticket_id} already sent {on_ticket} auto-replies in 24 hours (limit {limit})"
        return Refusal("ticket_limit", reason)
    return None
