"""process_inbound: one spooled mail through parse, plan and apply, in one transaction, exactly once."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import TextClause, bindparam, select, text, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session, sessionmaker

from mailgate.agentmail.planning import AgentMailConfig
from mailgate.followup.chain import FollowupChain, build_chain
from mailgate.followup.message_ids import thread_message_ids
from mailgate.outbound.events import EventOptions, on_mail_applied
from mailgate.pipeline.apply import apply_plan
from mailgate.pipeline.plan import Plan
from mailgate.pipeline.planner import PlanContext, plan_mail
from mailgate.pipeline.rulestore import PipelineConfigCache, fingerprint_query
from mailgate.pipeline.undeliverable import record_bounce
from mailgate.settings import Settings
from mailgate.sla.calendars import CalendarStore
from mailgate.sla.escalation import refresh_escalations
from mailgate.tickets.clock import now_utc
from mailgate.tickets.lookups import Lookups, load_lookups
from mailgate.tickets.writer import TicketWriter, table_of
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
    .returning(InboundMail.raw, InboundMail.envelope_recipients, InboundMail.imap_account_id)
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
    raw: bytes
    recipients: list[str]
    trusted: bool
    account_queue_id: int | None = None


class InboundProcessor:
    """Turns spool rows into tickets and articles; safe to call twice or concurrently for one row."""

    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        secret: str,
        chain: FollowupChain | None = None,
        clock: Callable[[], datetime] = now_utc,
    ) -> None:
        self._settings = settings
        self._sessions = sessions
        self._secret = secret
        self._chain = chain or build_chain()
        self._clock = clock
        self._config = PipelineConfigCache()
        self._lookups: Lookups | None = None
        self._lock_sql: TextClause | None = None
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
                result = None if claimed is None else self._process_in(session, spool_id, claimed)
        except Exception as exc:  # any failure: keep the mail, record why, retry with back-off
            log.exception("spool %s failed", spool_id)
            return self._fail(spool_id, exc)
        if result is None:
            return self._current(spool_id)
        log.info("spool %s: %s -> ticket %s", spool_id, result.outcome, result.ticket_id)
        return result

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
        recipients = json.loads(claimed.envelope_recipients or "[]")
        if claimed.imap_account_id is None:
            return _Claimed(claimed.raw, recipients, trusted=False)
        account = session.get(MailAccount, claimed.imap_account_id)
        if account is None:
            return _Claimed(claimed.raw, recipients, trusted=False)
        # a trusted Znuny mail account may set X-OTRS-* headers; its queue is where its mail goes
        return _Claimed(claimed.raw, recipients, bool(account.trusted), account.queue_id or None)

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

    def _process_in(self, session: Session, spool_id: int, claimed: _Claimed) -> Processed:
        """Parse, plan and write one claimed mail inside the claiming transaction."""
        parsed = parse(claimed.raw)
        fingerprint = self._serialise_thread(session, parsed)
        context = self._context(session, claimed.recipients, claimed.trusted, fingerprint)
        context = dataclasses.replace(context, account_queue_id=claimed.account_queue_id)
        plan = plan_mail(session, parsed, context)
        writer = TicketWriter(session, context.lookups, self._clock())
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
        writer.add(
            table_of(Decision),
            {
                "inbound_id": spool_id,
                "ticket_id": applied.ticket_id,
                "article_id": applied.article_id,
                "outcome": plan.outcome,
                "followup_step": plan.followup_step,
                "trace": json.dumps(plan.trace, default=str),
                "create_time": writer.now,
            },
        )
        writer.flush()
        if applied.ticket_id is not None:  # SLA: escalation columns follow the new article and state
            refresh_escalations(session, applied.ticket_id, writer.now, self._calendars)
        finished = {
            "spool_id": spool_id,
            "state": state.value,
            "ticket_id": applied.ticket_id,
            "article_id": applied.article_id,
            "last_error": None,
            "changed_at": writer.now,
        }
        session.connection().execute(FINISH, finished)
        return Processed(spool_id, state.value, plan.outcome, applied.ticket_id, applied.article_id)

    def _serialise_thread(self, session: Session, parsed: ParsedMessage) -> tuple[object, ...] | None:
        """Serialise mails of one thread; returns the configuration fingerprint when it was read too.

        PostgreSQL: one statement relaxes the commit, takes the thread's advisory locks (sorted, so two
        workers never deadlock) and reads the fingerprint. SQLite needs nothing: the claiming UPDATE
        already holds the database's write lock.
        """
        if session.get_bind().dialect.name != "postgresql":
            return None
        keys = sorted({_thread_key(item) for item in thread_keys(parsed)})
        return tuple(session.execute(self._postgresql_lock_sql(), {"keys": keys}).one())[2:]

    def _postgresql_lock_sql(self) -> TextClause:
        if self._lock_sql is None:
            dialect = postgresql.dialect()
            fingerprint = fingerprint_query().compile(dialect=dialect)
            self._lock_sql = text(
                "SELECT set_config('synchronous_commit', 'off', true) AS relaxed,"
                " (SELECT count(pg_advisory_xact_lock(k)) FROM"
                "  (SELECT k FROM unnest(CAST(:keys AS bigint[])) AS k ORDER BY k) AS ordered) AS locks,"
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
        with self._sessions() as session:
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
