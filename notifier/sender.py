"""OutboxSender: claim due outbox rows in batches, render and freeze them once, send them, record outcomes.

A batch costs two commits however many rows it holds: the first claims the rows (pending and due
-> sending, attempts + 1; FOR UPDATE SKIP LOCKED on PostgreSQL, so concurrent senders never
claim one row twice) and freezes each new row's bytes and Message-ID; then every mail goes out
over this thread's kept SMTP connection; the second commit marks the outcomes (all plain
successes in one statement). A 4xx or timeout backs off only the row it happened to, a 5xx fails
only that row (history row and internal note on the ticket, in a transaction of its own). When
the connection to the server cannot be had, the rows not yet tried go back to pending without
counting an attempt and wait a minute (RETRY_BASE), then the sweeper queues them again.

At-least-once window: rows the server accepted are marked when the batch ends; a sender that dies
in between leaves them 'sending' and the sweeper re-queues them (as with one row per batch, the
window is just longer).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import getaddresses

from sqlalchemy import ColumnElement, bindparam, insert, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from mailgate.errors import MailgateError
from notifier.batchcache import prefetch
from notifier.compose import compose_bytes, envelope_sender, new_message_id
from notifier.render import RenderContext, RenderedMail, RendererRegistry, Suppress
from notifier.ticketlog import raw_source_values, record_send_failure, store_sent_article
from notifier.transport import Outcome, SendResult, SmtpTransport
from schema import ArticleDataMimePlain, Ticket
from schema.outbox import OutboxKind, OutboxMail, OutboxState

log = logging.getLogger(__name__)

DEFAULT_MAX_ATTEMPTS = 10
DEFAULT_BATCH = 32  # rows one send_due call claims and sends (module constant: no setting for it yet)
RETRY_BASE = timedelta(minutes=1)
RETRY_CAP = timedelta(hours=4)
ERROR_MAX = 2000
DRAIN_SECONDS = 60.0  # one send_due call stops draining after this long (the actor's time limit is 2 minutes)
DONE_MEMORY = 200_000  # ids remembered to skip their messages; forgetting only costs a query each
NOT_TRIED = "not tried: the SMTP connection failed on an earlier mail of its batch"

_FINAL = frozenset({OutboxState.SENT.value, OutboxState.FAILED.value, OutboxState.SUPPRESSED.value})
_FREEZE = (
    update(OutboxMail)
    .where(OutboxMail.id == bindparam("b_id"))
    .values(
        raw=bindparam("b_raw"),
        message_id=bindparam("b_message_id"),
        article_id=bindparam("b_article_id"),
        changed_at=bindparam("b_now"),
    )
)


def retry_delay(attempts: int) -> timedelta:
    """Back-off after the n-th failed attempt: 1, 2, 4, ... minutes, at most 4 hours."""
    return min(RETRY_CAP, RETRY_BASE * 2 ** max(0, attempts - 1))


@dataclass(frozen=True, slots=True)
class Frozen:
    """What a claimed row sends: its frozen bytes and envelope."""

    raw: bytes
    envelope_from: str
    recipients: list[str]
    message_id: str | None


@dataclass(frozen=True, slots=True)
class Claimed:
    """What the outcome step needs to know of a claimed row (a plain value, no ORM state)."""

    id: int
    kind: str
    ticket_id: int | None
    article_id: int | None
    recipients: str
    recipient_key: str
    attempts: int
    message_id: str | None

    @classmethod
    def of(cls, row: OutboxMail, message_id: str | None = None) -> Claimed:
        """The claimed row's values (with the Message-ID frozen just now, if any)."""
        return cls(row.id, row.kind, row.ticket_id, row.article_id, row.recipients, row.recipient_key,
                   row.attempts, message_id or row.message_id)  # fmt: skip


class OutboxSender:
    """Sends outbox rows by id; safe to call twice or concurrently for the same id (one send)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        registry: RendererRegistry,
        ctx: RenderContext,
        transport: SmtpTransport,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        batch: int = DEFAULT_BATCH,
    ) -> None:
        """A sender with its renderers, context (secret, clock) and SMTP transport."""
        self.sessions = sessions
        self.registry = registry
        self.ctx = ctx
        self.transport = transport
        self.max_attempts = max_attempts
        self.batch = batch
        self._done: set[int] = set()  # ids this sender's drains sent, failed or suppressed (see send_due)

    def send(self, outbox_id: int) -> str | None:
        """Send one row if it is pending and due; returns its new state, or None if it was not claimed."""
        return self.send_batch([outbox_id]).get(outbox_id)

    def send_due(self, outbox_id: int | None = None) -> dict[int, str]:
        """Send due rows, oldest first, batch after batch until none is left: the actor's job for an id.

        Every outbox row brings one message (its id). A drain goes on until a claim finds fewer
        rows than a batch, which means that every row due and not being sent by someone else was
        claimed; so a message whose row this sender's drains already finished (sent, failed,
        suppressed: states a row never leaves) has nothing left to do and costs no query. A drain
        cut short (``DRAIN_SECONDS``, or no SMTP server) forgets those ids, so the messages still
        waiting drain the rest; rows put back to wait are due again for the sweeper, as before.
        """
        if outbox_id is not None and outbox_id in self._done:
            return {}
        states: dict[int, str] = {}
        deadline = time.monotonic() + DRAIN_SECONDS
        while True:
            batch, trouble = self._send_batch([], fill=self.batch)
            states.update(batch)
            if len(self._done) > DONE_MEMORY:
                self._done.clear()
            self._done.update(row_id for row_id, state in batch.items() if state in _FINAL)
            if len(batch) < self.batch:
                return states
            if trouble or time.monotonic() > deadline:
                self._done.clear()
                return states

    def send_batch(self, outbox_ids: Sequence[int], *, fill: int = 0) -> dict[int, str]:
        """Claim the given rows that are due (and other due rows up to `fill` rows in all), send them.

        Returns the new state of every row claimed; rows not claimed (sent, not due, taken by
        another sender) are absent.
        """
        return self._send_batch(outbox_ids, fill=fill)[0]

    def _send_batch(self, outbox_ids: Sequence[int], *, fill: int = 0) -> tuple[dict[int, str], bool]:
        """send_batch, and whether the SMTP server could not be reached (rows were left untried)."""
        now = self.ctx.now()
        taken: list[int] = []
        try:
            with self.sessions.begin() as session:
                claimed, prepared = self._claim_and_freeze(session, list(outbox_ids), fill, now, taken)
        except Exception:
            if len(taken) <= 1:
                raise
            # one row broke the batch's transaction (everything rolled back): go row by row
            log.exception("outbox batch %s: freezing failed; sending its rows one by one", taken)
            return self._one_by_one(taken), False
        states = {row_id: state for row_id, state in prepared.items() if isinstance(state, str)}
        frozen = {row_id: item for row_id, item in prepared.items() if isinstance(item, Frozen)}
        results: dict[int, SendResult] = {}
        untried: list[int] = []
        queue = list(frozen.items())
        try:
            for index, (row_id, item) in enumerate(queue):
                if results and _connection_lost(results):  # no server: the rest wait, no attempt counted
                    untried = [later for later, _ in queue[index:]]
                    break
                results[row_id] = self.transport.send(item.envelope_from, item.recipients, item.raw)
        finally:  # even when interrupted (e.g. the actor's time limit), what the server took is marked
            states.update(self._record(claimed, results, untried))
        return states, bool(untried) or (bool(results) and _connection_lost(results))

    def _one_by_one(self, outbox_ids: Sequence[int]) -> dict[int, str]:
        states: dict[int, str] = {}
        for outbox_id in outbox_ids:
            try:
                states.update(self.send_batch([outbox_id]))
            except Exception as exc:  # this row breaks any batch it is in: out of the due rows for a while
                log.exception("outbox %s: cannot be prepared for sending", outbox_id)
                states[outbox_id] = self._defer(outbox_id, exc)
        return states

    def _defer(self, outbox_id: int, exc: Exception) -> str:
        """Count an attempt on a pending row that could not be frozen: back off, or fail at the limit."""
        now = self.ctx.now()
        with self.sessions.begin() as session:
            attempts = session.execute(
                update(OutboxMail)
                .where(OutboxMail.id == outbox_id, OutboxMail.state == OutboxState.PENDING.value)
                .values(
                    attempts=OutboxMail.attempts + 1,
                    changed_at=now,
                    last_error=f"cannot prepare: {type(exc).__name__}: {exc}"[:ERROR_MAX],
                )
                .returning(OutboxMail.attempts)
            ).scalar_one_or_none()
            if attempts is None:
                return _states(session, [outbox_id])[outbox_id]
            if attempts >= self.max_attempts:
                _set(session, outbox_id, now, state=OutboxState.FAILED.value)
                return OutboxState.FAILED.value
            _set(session, outbox_id, now, next_attempt_at=now + retry_delay(attempts))
            return OutboxState.PENDING.value

    # --- claim and freeze (one transaction, committed before SMTP) ---

    def _claim_and_freeze(
        self, session: Session, outbox_ids: list[int], fill: int, now: datetime, taken: list[int]
    ) -> tuple[dict[int, Claimed], dict[int, Frozen | str]]:
        rows = self._claim(session, outbox_ids, now, None) if outbox_ids else []
        if fill > len(rows):
            rows += self._claim(session, outbox_ids, now, fill - len(rows))
        taken += [row.id for row in rows]
        prefetch(session, rows)
        prepared: dict[int, Frozen | str] = {}
        claimed: dict[int, Claimed] = {}
        freezes: list[dict[str, object]] = []
        sources: list[dict[str, object]] = []
        for row in rows:
            outcome = self._prepare(session, row, now, freezes, sources)
            prepared[row.id] = outcome
            claimed[row.id] = Claimed.of(row, outcome.message_id if isinstance(outcome, Frozen) else None)
        if sources:
            session.execute(insert(ArticleDataMimePlain), sources)
        if freezes:
            session.connection().execute(_FREEZE, freezes)
        return claimed, prepared

    def _claim(
        self, session: Session, outbox_ids: list[int], now: datetime, limit: int | None
    ) -> list[OutboxMail]:
        """One UPDATE ... RETURNING: pending and due -> sending, attempts + 1 (locked rows are skipped).

        ``limit`` None claims the given ids; a number claims up to that many other due rows, oldest first.
        """
        due: ColumnElement[bool] = (OutboxMail.state == OutboxState.PENDING.value) & or_(
            OutboxMail.next_attempt_at.is_(None), OutboxMail.next_attempt_at <= now
        )
        if limit is None:
            due = due & OutboxMail.id.in_(outbox_ids)
        elif outbox_ids:
            due = due & OutboxMail.id.not_in(outbox_ids)
        pick = select(OutboxMail.id).where(due).order_by(OutboxMail.id)
        if limit is not None:
            pick = pick.limit(limit)
        if session.get_bind().dialect.name == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        claimed = session.scalars(
            update(OutboxMail)
            .where(OutboxMail.id.in_(pick.scalar_subquery()))
            .values(state=OutboxState.SENDING.value, attempts=OutboxMail.attempts + 1, changed_at=now)
            .returning(OutboxMail),
            execution_options={"populate_existing": True, "synchronize_session": False},
        ).all()
        return sorted(claimed, key=lambda row: row.id)

    def _prepare(
        self,
        session: Session,
        row: OutboxMail,
        now: datetime,
        freezes: list[dict[str, object]],
        sources: list[dict[str, object]],
    ) -> Frozen | str:
        """The frozen mail of a claimed row, rendering it first if it is new; or its final state."""
        recipients = [str(item) for item in json.loads(row.recipients)]
        if row.raw is not None:
            return Frozen(row.raw, _envelope_from(row.raw), recipients, row.message_id)
        try:
            outcome = self.registry.get(row.kind).render(session, row, self.ctx)  # renderers only read
            if isinstance(outcome, Suppress):
                reason = outcome.reason[:ERROR_MAX]
                _set(session, row.id, now, state=OutboxState.SUPPRESSED.value, last_error=reason)
                log.info("outbox %s suppressed: %s", row.id, outcome.reason)
                return OutboxState.SUPPRESSED.value
            message_id = new_message_id(outcome, self.ctx)
            raw = self._compose(session, row, outcome, message_id, now)
            article_id = row.article_id
            if outcome.store_article is not None and (row.ticket_id or outcome.threading.ticket_id):
                with session.begin_nested():  # an error while storing undoes this row's article only
                    article_id = self._store_article(session, row, outcome, raw, now)
            elif row.kind == OutboxKind.ARTICLE.value and row.article_id:
                sources.append(raw_source_values(row.article_id, raw, now))
        except (MailgateError, ValueError) as exc:  # RenderError, lookups, tokens, ComposeError
            self._finish_failed(session, Claimed.of(row), f"cannot render: {exc}", None, now)
            return OutboxState.FAILED.value
        freezes.append(
            {"b_id": row.id, "b_raw": raw, "b_message_id": message_id[:250], "b_article_id": article_id,
             "b_now": now}
        )  # fmt: skip
        return Frozen(raw, envelope_sender(outcome), recipients, message_id[:250])

    def _compose(
        self, session: Session, row: OutboxMail, mail: RenderedMail, message_id: str, now: datetime
    ) -> bytes:
        ticket_id = row.ticket_id or mail.threading.ticket_id
        ticket_row = session.get(Ticket, ticket_id) if ticket_id else None  # renderers usually loaded it
        started = ticket_row.create_time if ticket_row is not None else None
        return compose_bytes(mail, self.ctx, message_id=message_id, now=now, thread_started=started)

    @staticmethod
    def _store_article(
        session: Session, row: OutboxMail, mail: RenderedMail, raw: bytes, now: datetime
    ) -> int:
        assert mail.store_article is not None
        ticket_id = row.ticket_id or mail.threading.ticket_id
        assert ticket_id is not None
        recipients = [item.email for item in (*mail.to, *mail.cc)]
        return store_sent_article(session, ticket_id, raw, mail.store_article, recipients, now)

    # --- outcomes (second transaction; permanent failures one transaction each) ---

    def _record(
        self, claimed: dict[int, Claimed], results: dict[int, SendResult], untried: list[int]
    ) -> dict[int, str]:
        now = self.ctx.now()
        states: dict[int, str] = {}
        failed: list[tuple[Claimed, SendResult]] = []
        with self.sessions.begin() as session:
            # writes first: on SQLite a transaction that reads, then writes, fails if another wrote in between
            plain = [row_id for row_id, result in results.items() if result.sent and not result.refused]
            for row_id in _mark_sent(session, plain, now):
                states[row_id] = OutboxState.SENT.value
            for row_id, result in results.items():
                row = claimed[row_id]
                if result.sent and result.refused:
                    if _mark_sent(session, [row_id], now, note=_refusals(result)):
                        states[row_id] = OutboxState.SENT.value
                elif result.outcome is Outcome.TEMPORARY and row.attempts < self.max_attempts:
                    if self._back_off(session, row, result, now):
                        states[row_id] = OutboxState.PENDING.value
                elif not result.sent:
                    failed.append((row, result))
            wait_until = now + RETRY_BASE
            for row_id in _release(session, untried, now, wait_until):
                states[row_id] = OutboxState.PENDING.value
            lost = [row_id for row_id in (*results, *untried) if row_id not in states]
            lost = [row_id for row_id in lost if row_id not in {row.id for row, _ in failed}]
            states.update(_states(session, lost))  # the sweeper gave them to another sender meanwhile
        for row, result in failed:
            states[row.id] = self._fail(row, result, now)
        return states

    def _back_off(self, session: Session, row: Claimed, result: SendResult, now: datetime) -> bool:
        error = _error(result)
        values = {
            "state": OutboxState.PENDING.value,
            "last_error": error,
            "changed_at": now,
            "last_smtp_code": result.code or None,
            "next_attempt_at": now + retry_delay(row.attempts),
        }
        done = session.execute(
            update(OutboxMail).where(_mine(row.id)).values(**values).returning(OutboxMail.id)
        ).scalar_one_or_none()
        if done is not None:
            log.warning("outbox %s: temporary failure (attempt %d): %s", row.id, row.attempts, error)
        return done is not None

    def _fail(self, row: Claimed, result: SendResult, now: datetime) -> str:
        error = _error(result)
        with self.sessions.begin() as session:
            touched = session.execute(
                update(OutboxMail).where(_mine(row.id)).values(changed_at=now).returning(OutboxMail.id)
            ).scalar_one_or_none()
            if touched is None:  # the sweeper gave it to another sender meanwhile
                return _states(session, [row.id]).get(row.id, "missing")
            reason = (
                error
                if result.outcome is Outcome.PERMANENT
                else f"gave up after {row.attempts} attempts: {error}"
            )
            self._finish_failed(session, row, reason, result.code or None, now)
            return OutboxState.FAILED.value

    def _finish_failed(
        self, session: Session, row: Claimed, reason: str, code: int | None, now: datetime
    ) -> None:
        _set(session, row.id, now, state=OutboxState.FAILED.value, last_error=reason[:ERROR_MAX],
             last_smtp_code=code)  # fmt: skip
        log.error("outbox %s (%s to %s) failed: %s", row.id, row.kind, row.recipient_key, reason)
        if row.ticket_id:
            recipients = ", ".join(json.loads(row.recipients))
            summary = f"Sending the {row.kind} mail to {recipients} failed: {reason}"
            detail = (
                f"The {row.kind} mail (outbox {row.id}, Message-ID {row.message_id or '-'}) to {recipients} "
                f"could not be delivered after {row.attempts} attempt(s).\n\nReason: {reason}\n"
            )
            record_send_failure(
                session,
                row.ticket_id,
                summary,
                detail,
                fqdn=self.ctx.fqdn,
                now=now,
                article_id=row.article_id,
            )


def _mine(outbox_id: int) -> ColumnElement[bool]:
    return (OutboxMail.id == outbox_id) & (OutboxMail.state == OutboxState.SENDING.value)


def _mark_sent(session: Session, row_ids: list[int], now: datetime, note: str | None = None) -> list[int]:
    """Mark sending -> sent for these rows in one statement; returns the ids it changed."""
    if not row_ids:
        return []
    return list(
        session.scalars(
            update(OutboxMail)
            .where(OutboxMail.id.in_(row_ids), OutboxMail.state == OutboxState.SENDING.value)
            .values(
                state=OutboxState.SENT.value,
                sent_time=now,
                changed_at=now,
                last_smtp_code=250,
                last_error=note,
            )
            .returning(OutboxMail.id)
        )
    )


def _release(session: Session, row_ids: list[int], now: datetime, wait_until: datetime) -> list[int]:
    """Put sending -> pending without counting the attempt (never tried), due again at `wait_until`."""
    if not row_ids:
        return []
    return list(
        session.scalars(
            update(OutboxMail)
            .where(OutboxMail.id.in_(row_ids), OutboxMail.state == OutboxState.SENDING.value)
            .values(
                state=OutboxState.PENDING.value,
                attempts=OutboxMail.attempts - 1,
                changed_at=now,
                next_attempt_at=wait_until,
                last_error=NOT_TRIED,
            )
            .returning(OutboxMail.id)
        )
    )


def _states(session: Session, row_ids: list[int]) -> dict[int, str]:
    if not row_ids:
        return {}
    found = dict(
        session.execute(select(OutboxMail.id, OutboxMail.state).where(OutboxMail.id.in_(row_ids))).tuples()
    )
    return {row_id: found.get(row_id, "missing") for row_id in row_ids}


def _connection_lost(results: dict[int, SendResult]) -> bool:
    """Whether the last send found no SMTP server to talk to."""
    last = next(reversed(results.values()))
    return last.outcome is Outcome.TEMPORARY and last.code == 0


def _refusals(result: SendResult) -> str:
    return "; ".join(f"{r}: {c} {t}" for r, (c, t) in result.refused.items())[:ERROR_MAX]


def _error(result: SendResult) -> str:
    return (f"{result.code} {result.message}" if result.code else result.message)[:ERROR_MAX]


def _set(session: Session, outbox_id: int, now: datetime, **values: object) -> None:
    """Update columns of the row and stamp changed_at."""
    session.execute(update(OutboxMail).where(OutboxMail.id == outbox_id).values(changed_at=now, **values))


def _envelope_from(raw: bytes) -> str:
    """MAIL FROM of a frozen mail: the address in its From header (the queue's system address)."""
    head = raw.split(b"\r\n\r\n", 1)[0].replace(b"\r\n ", b" ").replace(b"\r\n\t", b" ")
    for line in head.split(b"\r\n"):
        if line[:5].lower() == b"from:":
            found = getaddresses([line[5:].decode("ascii", "replace")])
            return found[0][1] if found and found[0][1] else ""
    return ""
