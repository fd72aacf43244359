"""process_inbound: spooled mail through parse, plan and apply, in one transaction, exactly once.

A worker claims the row it was sent plus up to `batch_size - 1` other waiting rows and processes them in
ONE transaction (one commit, one lock statement, per-mail flushes). Any failure rolls the whole batch
back and each of its rows is then processed alone, so a bad mail fails alone and the others land.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import threading
import traceback
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import TextClause, bindparam, insert, select, text, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session, sessionmaker

from mailgate.agentmail.planning import AgentMailConfig
from mailgate.database import read_session
from mailgate.followup.chain import FollowupChain, build_chain
from mailgate.followup.message_ids import thread_message_ids
from mailgate.outbound.events import EventOptions, on_mail_applied
from mailgate.outbound.policy import recipient_lock_key
from mailgate.pipeline.apply import Applied, apply_plan
from mailgate.pipeline.plan import Plan
from mailgate.pipeline.planner import PlanContext, plan_mail
from mailgate.pipeline.rulestore import PipelineConfigCache, fingerprint_query
from mailgate.pipeline.undeliverable import record_bounce
from mailgate.settings import Settings
from mailgate.sla.calendars import CalendarStore
from mailgate.sla.escalation import refresh_escalations
from mailgate.tickets.clock import now_utc
from mailgate.tickets.customers import KnownCustomers, customer_email
from mailgate.tickets.lookups import Lookups, load_lookups
from mailgate.tickets.numbers import CounterReserve
from mailgate.tickets.writer import TicketWriter, without_nul
from parsers import parse
from parsers.model import ParsedMessage
from schema import InboundMail, InboundState, MailAccount
from schema.pipeline import Decision

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
RETRY_BASE_SECONDS = 30
CLAIMABLE = (InboundState.RECEIVED.value, InboundState.FAILED.value)
CLAIM = (
    update(InboundMail)
    .where(InboundMail.id == bindparam("spool_id"), InboundMail.state.in_(CLAIMABLE))
    .values(attempts=InboundMail.attempts + 1, next_attempt_at=None)
    .returning(
        InboundMail.raw, InboundMail.envelope_recipients, InboundMail.imap_account_id, InboundMail.attempts
    )
)
# PostgreSQL: a row another worker is processing right now is skipped at once instead of waited for
# (the same id can be queued twice: by the listener and by the sweeper); that worker finishes it, and
# if it fails the row is failed or received again for a later retry.
CLAIM_SKIP_LOCKED = CLAIM.where(
    InboundMail.id.in_(
        select(InboundMail.id)
        .where(InboundMail.id == bindparam("spool_id"))
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
)
FINISH = update(InboundMail).where(InboundMail.id == bindparam("spool_id"))
# Rows a batch may add to its own row: stored and never tried (a retry of a failed row runs alone).
CLAIM_WAITING = (
    update(InboundMail)
    .where(
        InboundMail.id.in_(
            select(InboundMail.id)
            .where(InboundMail.state == InboundState.RECEIVED.value, InboundMail.attempts == 0)
            .order_by(InboundMail.id)
            .limit(bindparam("limit"))
            .scalar_subquery()
        )
    )
    .values(
        state=InboundState.PROCESSING.value, attempts=InboundMail.attempts + 1, changed_at=bindparam("now")
    )
    .returning(InboundMail.id, InboundMail.raw, InboundMail.envelope_recipients, InboundMail.imap_account_id)
)
# PostgreSQL: both claims in one statement (a message whose row an earlier batch took costs one round
# trip); rows another batch holds are skipped, never waited for; no other rows when the own is a retry.
CLAIM_BATCH_POSTGRESQL = text(
    "WITH own AS ("
    " UPDATE mailgate_inbound SET state = 'processing', attempts = attempts + 1, next_attempt_at = NULL,"
    "  changed_at = :now"
    " WHERE id = (SELECT id FROM mailgate_inbound WHERE id = :spool_id"
    "  AND state IN ('received', 'failed') FOR UPDATE SKIP LOCKED)"
    " RETURNING id, raw, envelope_recipients, imap_account_id, attempts),"
    " others AS ("
    " UPDATE mailgate_inbound SET state = 'processing', attempts = attempts + 1, changed_at = :now"
    " WHERE id IN (SELECT id FROM mailgate_inbound WHERE state = 'received' AND attempts = 0"
    "  AND id <> :spool_id ORDER BY id LIMIT :limit FOR UPDATE SKIP LOCKED)"
    " AND NOT EXISTS (SELECT 1 FROM own WHERE own.attempts > 1)"
    " RETURNING id, raw, envelope_recipients, imap_account_id, attempts)"
    " SELECT * FROM own UNION ALL SELECT * FROM others ORDER BY id"
)
DECISION_INSERT = insert(Decision)
DEFAULT_BATCH_SIZE = 32
RECENTLY_FINISHED = 10_000


def retry_delay(attempts: int) -> timedelta:
    """Exponential back-off: 30 s, 1 min, 2 min, 4 min, ... for the n-th failed attempt."""
    return timedelta(seconds=RETRY_BASE_SECONDS * 2 ** max(0, attempts - 1))


@dataclass(frozen=True, slots=True)
class Processed:
    """What became of one spool row."""

    spool_id: int
    state: str
    outcome: str | None = None
    ticket_id: int | None = None
    article_id: int | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class _Claimed:
    spool_id: int
    raw: bytes
    recipients: list[str]
    trusted: bool
    account_queue_id: int | None = None
    first_attempt: bool = True


class _Finish:
    """The decision rows and finished spool rows of a batch, written with one statement each at its end.

    Nothing in the pipeline reads them back before the commit, so they need not be written per mail.
    """

    def __init__(self) -> None:
        self._decisions: list[dict[str, Any]] = []
        self._rows: list[dict[str, Any]] = []

    def decision(self, spool_id: int, plan: Plan, applied: Applied, now: datetime) -> None:
        """The mailgate_decision row of one mail: its outcome and the trace that explains it."""
        trace = json.dumps(plan.trace, default=str)
        self._decisions.append(
            without_nul(
                {
                    "inbound_id": spool_id,
                    "ticket_id": applied.ticket_id,
                    "article_id": applied.article_id,
                    "outcome": plan.outcome,
                    "followup_step": plan.followup_step,
                    "trace": trace,
                    "create_time": now,
                }
            )
        )

    def spool_row(self, spool_id: int, state: InboundState, applied: Applied, now: datetime) -> None:
        """The spool row's final state and the ticket and article it became."""
        self._rows.append(
            {
                "spool_id": spool_id,
                "state": state.value,
                "ticket_id": applied.ticket_id,
                "article_id": applied.article_id,
                "last_error": None,
                "changed_at": now,
            }
        )

    def write(self, session: Session) -> None:
        """One multi-row INSERT of the decisions and one UPDATE (executemany) of the spool rows."""
        connection = session.connection()
        if self._decisions:
            connection.execute(DECISION_INSERT, self._decisions)
        if self._rows:
            connection.execute(FINISH, self._rows)
        self._decisions, self._rows = [], []


class _RecentlyFinished:
    """Spool ids this processor's batches committed lately (done or ignored rows never change again).

    A message for such a row (batches take rows whose own message is still queued) is answered
    without a transaction; a row this process does not know is claimed as usual.
    """

    def __init__(self, size: int = RECENTLY_FINISHED) -> None:
        self._lock = threading.Lock()
        self._order: deque[int] = deque()
        self._ids: set[int] = set()
        self._size = size

    def has(self, spool_id: int) -> bool:
        """True if a batch of this processor committed the row."""
        with self._lock:
            return spool_id in self._ids

    def add(self, spool_ids: Iterable[int]) -> None:
        """Remember committed rows, forgetting the oldest beyond the size."""
        with self._lock:
            for spool_id in spool_ids:
                self._ids.add(spool_id)
                self._order.append(spool_id)
            while len(self._order) > self._size:
                self._ids.discard(self._order.popleft())


@dataclass(frozen=True, slots=True)
class _Batch:
    """What the mails of one batch share: configuration fingerprint, senders, ticket counters, finish."""

    fingerprint: tuple[object, ...] | None
    customers: KnownCustomers
    numbers: CounterReserve
    finish: _Finish


class InboundProcessor:
    """Turns spool rows into tickets and articles; safe to call twice or concurrently for one row."""

    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        secret: str,
        chain: FollowupChain | None = None,
        clock: Callable[[], datetime] = now_utc,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> None:
        self._settings = settings
        self._batch_size = max(1, batch_size)
        self._sessions = sessions
        self._secret = secret
        self._chain = chain or build_chain()
        self._clock = clock
        self._config = PipelineConfigCache()
        self._lookups: Lookups | None = None
        self._lock_sql: TextClause | None = None
        self._finished = _RecentlyFinished()
        self._calendars = CalendarStore()  # SLA calendars, rebuilt only when their row changes

    def process(self, spool_id: int) -> Processed:
        """Process one spool row; failures are recorded on the row and retried later, never raised.

        Claim, parse, plan and write happen in ONE transaction: a crash loses all of it and leaves the
        row 'received' for the sweeper; a second worker on the same row waits for the row lock and
        then finds nothing to claim.
        """
        try:
            with self._sessions.begin() as session:
                claimed = self._claim(session, spool_id)
                result = None if claimed is None else self._process_all(session, [claimed])[0]
        except Exception as exc:  # any failure: keep the mail, record why, retry with back-off
            log.exception("spool %s failed", spool_id)
            return self._fail(spool_id, exc)
        if result is None:
            return self._current(spool_id)
        log.info("spool %s: %s -> ticket %s", spool_id, result.outcome, result.ticket_id)
        return result

    def process_batch(self, spool_id: int) -> list[Processed]:
        """Process this row and up to batch_size - 1 other waiting rows in ONE transaction.

        The row itself may already be done (then only waiting rows are taken). A retry of a failed row
        runs alone. If anything in the batch fails, the transaction is rolled back and every row of
        the batch is processed alone with process(), which records the failure on the bad row only.
        """
        if self._batch_size == 1:
            return [self.process(spool_id)]
        if self._finished.has(spool_id):  # this process committed it: the message has nothing to do
            return []
        batch: list[_Claimed] = []
        try:
            with self._sessions.begin() as session:
                batch = self._claim_batch(session, spool_id)
                results = self._process_all(session, batch)
        except Exception:
            ids = [item.spool_id for item in batch] or [spool_id]
            log.warning(
                "batch of spool %s failed; processing each of its %d rows alone", ids, len(ids), exc_info=True
            )
            return [self.process(item) for item in ids]
        for result in results:
            log.info("spool %s: %s -> ticket %s", result.spool_id, result.outcome, result.ticket_id)
        self._finished.add(result.spool_id for result in results)
        return results

    def explain(self, session: Session, raw: bytes, recipients: list[str], trusted: bool = False) -> Plan:
        """The plan for a mail without writing anything (the caller rolls the session back)."""
        return plan_mail(session, parse(raw), self._context(session, recipients, trusted))

    def _claim(self, session: Session, spool_id: int) -> _Claimed | None:
        """Lock the row and mark it processing; None if it is not waiting to be processed."""
        values = {"spool_id": spool_id, "state": InboundState.PROCESSING.value, "changed_at": self._clock()}
        connection = session.connection()
        claim = CLAIM_SKIP_LOCKED if connection.dialect.name == "postgresql" else CLAIM
        claimed = connection.execute(claim, values).first()
        if claimed is None:
            return None
        return self._claimed(session, spool_id, claimed, first_attempt=claimed.attempts <= 1)

    def _claim_batch(self, session: Session, spool_id: int) -> list[_Claimed]:
        """The row itself (if waiting) and, unless it is a retry, other rows waiting for a first try."""
        connection = session.connection()
        now = self._clock()
        if connection.dialect.name == "postgresql":
            values = {"spool_id": spool_id, "limit": self._batch_size - 1, "now": now}
            rows = connection.execute(CLAIM_BATCH_POSTGRESQL, values).all()
            return [
                self._claimed(session, row.id, row, row.id != spool_id or row.attempts <= 1) for row in rows
            ]
        own = self._claim(session, spool_id)
        if own is not None and not own.first_attempt:
            return [own]
        limit = self._batch_size - (own is not None)
        rows = connection.execute(CLAIM_WAITING, {"limit": limit, "now": now}).all()
        batch = ([own] if own else []) + [self._claimed(session, row.id, row) for row in rows]
        return sorted(batch, key=lambda item: item.spool_id)  # in the order they were stored

    def _claimed(self, session: Session, spool_id: int, row: Any, first_attempt: bool = True) -> _Claimed:
        recipients = json.loads(row.envelope_recipients or "[]")
        account = None if row.imap_account_id is None else session.get(MailAccount, row.imap_account_id)
        if account is None:
            return _Claimed(spool_id, row.raw, recipients, False, first_attempt=first_attempt)
        # a trusted Znuny mail account may set X-OTRS-* headers; its queue is where its mail goes
        queue_id = account.queue_id or None
        return _Claimed(spool_id, row.raw, recipients, bool(account.trusted), queue_id, first_attempt)

    def _process_all(self, session: Session, batch: list[_Claimed]) -> list[Processed]:
        """Parse every claimed mail, lock all their threads at once, then each mail in order."""
        if not batch:
            return []
        parsed = [parse(claimed.raw) for claimed in batch]
        fingerprint = self._serialise_threads(session, parsed)
        senders = {customer_email(mail.from_) for mail in parsed if mail.from_} if len(batch) > 1 else set()
        shared = _Batch(fingerprint, KnownCustomers.load(session, senders), CounterReserve(), _Finish())
        results = []
        for index, (claimed, mail) in enumerate(zip(batch, parsed, strict=True)):
            shared.numbers.wanted = len(batch) - index  # at most this many new tickets still to come
            results.append(self._process_in(session, claimed, mail, shared))
        shared.finish.write(session)
        return results

    def _context(
        self,
        session: Session,
        recipients: list[str],
        trusted: bool,
        fingerprint: tuple[object, ...] | None = None,
    ) -> PlanContext:
        if self._lookups is None:
            self._lookups = load_lookups(session)
        config = self._config.get(session, fingerprint)
        return PlanContext(
            secret=self._secret,
            system_id=self._settings.system_id,
            fqdn=self._settings.fqdn,
            chain=self._chain,
            lookups=self._lookups,
            queues=config.queues,
            rules=config.rules,
            envelope_recipients=recipients,
            trusted=trusted,
            today=self._clock().date(),
            agent_mail=AgentMailConfig.from_settings(self._settings, self._secret),
        )

    def _process_in(
        self,
        session: Session,
        claimed: _Claimed,
        parsed: ParsedMessage,
        shared: _Batch,
    ) -> Processed:
        """Plan and write one claimed, parsed mail inside the claiming transaction."""
        spool_id, finish = claimed.spool_id, shared.finish
        context = self._context(session, claimed.recipients, claimed.trusted, shared.fingerprint)
        context = dataclasses.replace(context, account_queue_id=claimed.account_queue_id)
        plan = plan_mail(session, parsed, context)
        writer = TicketWriter(session, context.lookups, self._clock())
        writer.customers, writer.numbers = shared.customers, shared.numbers
        applied = apply_plan(
            writer,
            parsed,
            claimed.raw,
            plan,
            system_id=self._settings.system_id,
            fingerprint=f"spool:{spool_id}",
        )
        on_mail_applied(writer, parsed, plan, applied, EventOptions.from_settings(self._settings))
        if parsed.kind == "bounce" and parsed.bounce is not None:
            record_bounce(session, parsed.bounce, applied.ticket_id, spool_id, writer.now)
        state = InboundState.DONE if plan.stores_article else InboundState.IGNORED
        finish.decision(spool_id, plan, applied, writer.now)
        writer.flush()
        if applied.ticket_id is not None:  # SLA: escalation columns follow the new article and state
            refresh_escalations(session, applied.ticket_id, writer.now, self._calendars)
        finish.spool_row(spool_id, state, applied, writer.now)
        return Processed(spool_id, state.value, plan.outcome, applied.ticket_id, applied.article_id)

    def _serialise_threads(self, session: Session, mails: list[ParsedMessage]) -> tuple[object, ...] | None:
        """Serialise mails of one thread; returns the configuration fingerprint when it was read too.

        PostgreSQL: one statement relaxes the commit, takes the advisory locks of every thread in the
        batch, of every auto-reply recipient and of every sender not yet a customer (all at once and
        sorted, so two workers never deadlock: not on a thread, not on an address's auto-reply count,
        nor on inserting the same new customer_user row in two batches) and
        reads the fingerprint. SQLite needs nothing: the claiming UPDATE already holds the database's
        write lock.
        """
        if session.get_bind().dialect.name != "postgresql":
            return None
        keys = {_thread_key(item) for parsed in mails for item in thread_keys(parsed)}
        if self._config.may_auto_reply():  # else one sender's flood would run one batch at a time
            keys.update(key for key in map(recipient_lock_key, mails) if key is not None)
        senders = sorted({customer_email(parsed.from_) for parsed in mails if parsed.from_})
        sender_keys = [_customer_key(item) for item in senders]
        values = {"keys": sorted(keys), "senders": senders, "sender_keys": sender_keys}
        return tuple(session.execute(self._postgresql_lock_sql(), values).one())[2:]

    def _postgresql_lock_sql(self) -> TextClause:
        if self._lock_sql is None:
            dialect = postgresql.dialect()
            fingerprint = fingerprint_query().compile(dialect=dialect)
            self._lock_sql = text(
                "SELECT set_config('synchronous_commit', 'off', true) AS relaxed,"
                " (SELECT count(pg_advisory_xact_lock(k)) FROM"
                "  (SELECT k FROM unnest(CAST(:keys AS bigint[])) AS k"
                "   UNION SELECT s.k FROM unnest(CAST(:senders AS text[]), CAST(:sender_keys AS bigint[]))"
                "    AS s(email, k) WHERE NOT EXISTS"
                "    (SELECT 1 FROM customer_user AS c WHERE lower(c.email) = s.email)"
                "   ORDER BY k) AS ordered) AS locks,"
                f" fp.* FROM ({fingerprint}) AS fp"
            )
        return self._lock_sql

    def _fail(self, spool_id: int, exc: Exception) -> Processed:
        error = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}"[:4000]
        with self._sessions.begin() as session:
            row = session.get_one(InboundMail, spool_id)
            row.attempts += 1
            row.state, row.last_error, row.changed_at = InboundState.FAILED.value, error, self._clock()
            row.next_attempt_at = (
                self._clock() + retry_delay(row.attempts) if row.attempts < MAX_ATTEMPTS else None
            )
        return Processed(spool_id, InboundState.FAILED.value, error=error.splitlines()[0])

    def _current(self, spool_id: int) -> Processed:
        with read_session(self._sessions) as session:
            row = session.get(InboundMail, spool_id)
            if row is None:
                return Processed(spool_id, "missing", error="no such spool row")
            return Processed(spool_id, row.state, ticket_id=row.ticket_id, article_id=row.article_id)


def thread_keys(parsed: ParsedMessage) -> list[str]:
    """The Message-IDs that tie a mail to its thread: its own and the ones it refers to."""
    own = [parsed.message_id] if parsed.message_id else []
    return own + thread_message_ids(parsed)


def _thread_key(message_id: str) -> int:
    """A signed 64-bit advisory lock key for a Message-ID."""
    digest = hashlib.blake2b(message_id.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _customer_key(email: str) -> int:
    """A signed 64-bit advisory lock key for recording a customer_user row for this address."""
    return _thread_key(f"customer_user:{email}")
