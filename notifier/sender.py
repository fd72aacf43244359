"""send_outbound(outbox_id): claim the row, render and freeze it once, send it, record the outcome."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from email.utils import getaddresses

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from mailgate.errors import MailgateError
from notifier.compose import as_bytes, compose, new_message_id
from notifier.render import RenderContext, RenderedMail, RendererRegistry, Suppress
from notifier.ticketlog import record_send_failure, store_raw_source, store_sent_article
from notifier.transport import Outcome, SendResult, SmtpTransport
from schema import Ticket
from schema.outbox import OutboxKind, OutboxMail, OutboxState

log = logging.getLogger(__name__)

DEFAULT_MAX_ATTEMPTS = 10
RETRY_BASE = timedelta(minutes=1)
RETRY_CAP = timedelta(hours=4)
ERROR_MAX = 2000


def retry_delay(attempts: int) -> timedelta:
    """Back-off after the n-th failed attempt: 1, 2, 4, ... minutes, at most 4 hours."""
    return min(RETRY_CAP, RETRY_BASE * 2 ** max(0, attempts - 1))


@dataclass(frozen=True, slots=True)
class Frozen:
    """What a claimed row sends: its frozen bytes and envelope (None: nothing to send)."""

    raw: bytes
    envelope_from: str
    recipients: list[str]


class OutboxSender:
    """Sends outbox rows by id; safe to call twice or concurrently for the same id (one send)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        registry: RendererRegistry,
        ctx: RenderContext,
        transport: SmtpTransport,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    ) -> None:
        """A sender with its renderers, context (secret, clock) and SMTP transport."""
        self.sessions = sessions
        self.registry = registry
        self.ctx = ctx
        self.transport = transport
        self.max_attempts = max_attempts

    def send(self, outbox_id: int) -> str | None:
        """Send one row if it is pending and due; returns its new state, or None if it was not claimed."""
        with self.sessions.begin() as session:
            frozen = self._claim_and_freeze(session, outbox_id)
        if not isinstance(frozen, Frozen):
            return frozen  # not claimed (None), or suppressed / failed while rendering
        result = self.transport.send(frozen.envelope_from, frozen.recipients, frozen.raw)
        return self._record(outbox_id, result)

    # --- claim and freeze (one transaction, committed before SMTP) ---

    def _claim_and_freeze(self, session: Session, outbox_id: int) -> Frozen | str | None:
        now = self.ctx.now()
        row = self._claim(session, outbox_id, now)
        if row is None:
            return None
        if row.raw is None:
            try:
                with session.begin_nested():  # a render or compose error undoes what rendering wrote
                    outcome = self.registry.get(row.kind).render(session, row, self.ctx)
                    if not isinstance(outcome, Suppress):
                        raw = self._freeze(session, row, outcome, now)
            except (MailgateError, ValueError) as exc:  # RenderError, lookups, tokens, ComposeError
                self._finish_failed(session, row, f"cannot render: {exc}", None, now)
                return OutboxState.FAILED.value
            if isinstance(outcome, Suppress):
                reason = outcome.reason[:ERROR_MAX]
                _set(session, row.id, now, state=OutboxState.SUPPRESSED.value, last_error=reason)
                log.info("outbox %s suppressed: %s", row.id, outcome.reason)
                return OutboxState.SUPPRESSED.value
        else:
            raw = row.raw
        return Frozen(raw, _envelope_from(raw), [str(item) for item in json.loads(row.recipients)])

    def _claim(self, session: Session, outbox_id: int, now: datetime) -> OutboxMail | None:
        """One UPDATE ... RETURNING: pending and due -> sending, attempts + 1 (locked rows are skipped)."""
        due: ColumnElement[bool] = (
            (OutboxMail.id == outbox_id)
            & (OutboxMail.state == OutboxState.PENDING.value)
            & or_(OutboxMail.next_attempt_at.is_(None), OutboxMail.next_attempt_at <= now)
        )
        if session.get_bind().dialect.name == "postgresql":
            due = (
                OutboxMail.id
                == select(OutboxMail.id).where(due).with_for_update(skip_locked=True).scalar_subquery()
            )
        claimed = session.scalars(
            update(OutboxMail)
            .where(due)
            .values(state=OutboxState.SENDING.value, attempts=OutboxMail.attempts + 1, changed_at=now)
            .returning(OutboxMail),
            execution_options={"populate_existing": True},
        ).one_or_none()
        return claimed

    def _freeze(self, session: Session, row: OutboxMail, mail: RenderedMail, now: datetime) -> bytes:
        message_id = new_message_id(mail, self.ctx)
        ticket_id = row.ticket_id or mail.threading.ticket_id
        ticket_row = session.get(Ticket, ticket_id) if ticket_id else None  # renderers usually loaded it
        started = ticket_row.create_time if ticket_row is not None else None
        raw = as_bytes(compose(mail, self.ctx, message_id=message_id, now=now, thread_started=started))
        values: dict[str, object] = {"raw": raw, "message_id": message_id[:250]}
        if mail.store_article is not None and ticket_id:
            recipients = [item.email for item in (*mail.to, *mail.cc)]
            values["article_id"] = store_sent_article(
                session, ticket_id, raw, mail.store_article, recipients, now
            )
        elif row.kind == OutboxKind.ARTICLE.value and row.article_id:
            store_raw_source(session, row.article_id, raw, now)
        _set(session, row.id, now, **values)
        return raw

    # --- outcome (second transaction) ---

    def _record(self, outbox_id: int, result: SendResult) -> str:
        now = self.ctx.now()
        with self.sessions.begin() as session:
            # write first: on SQLite a transaction that reads, then writes, fails if another wrote in between
            mine = (OutboxMail.id == outbox_id) & (OutboxMail.state == OutboxState.SENDING.value)
            if result.outcome is Outcome.SENT:
                note = "; ".join(f"{r}: {c} {t}" for r, (c, t) in result.refused.items()) or None
                done = session.execute(
                    update(OutboxMail)
                    .where(mine)
                    .values(
                        state=OutboxState.SENT.value,
                        sent_time=now,
                        changed_at=now,
                        last_smtp_code=result.code,
                        last_error=note,
                    )
                    .returning(OutboxMail.id)
                ).scalar_one_or_none()
                return OutboxState.SENT.value if done is not None else self._state(session, outbox_id)
            touched = session.execute(
                update(OutboxMail).where(mine).values(changed_at=now).returning(OutboxMail.id)
            ).scalar_one_or_none()
            row = session.get(OutboxMail, outbox_id, populate_existing=True)
            if touched is None or row is None:  # the sweeper gave it to another sender meanwhile
                return row.state if row is not None else "missing"
            error = (f"{result.code} {result.message}" if result.code else result.message)[:ERROR_MAX]
            if result.outcome is Outcome.TEMPORARY and row.attempts < self.max_attempts:
                _set(
                    session, outbox_id, now, state=OutboxState.PENDING.value, last_error=error,
                    last_smtp_code=result.code or None, next_attempt_at=now + retry_delay(row.attempts),
                )  # fmt: skip
                log.warning("outbox %s: temporary failure (attempt %d): %s", outbox_id, row.attempts, error)
                return OutboxState.PENDING.value
            reason = (
                error
                if result.outcome is Outcome.PERMANENT
                else f"gave up after {row.attempts} attempts: {error}"
            )
            self._finish_failed(session, row, reason, result.code or None, now)
            return OutboxState.FAILED.value

    @staticmethod
    def _state(session: Session, outbox_id: int) -> str:
        return session.scalar(select(OutboxMail.state).where(OutboxMail.id == outbox_id)) or "missing"

    def _finish_failed(
        self, session: Session, row: OutboxMail, reason: str, code: int | None, now: datetime
    ) -> None:
        _set(
            session,
            row.id,
            now,
            state=OutboxState.FAILED.value,
            last_error=reason[:ERROR_MAX],
            last_smtp_code=code,
        )
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


def _set(session: Session, outbox_id: int, now: datetime, **values: object) -> None:
    """Update columns of the row and stamp changed_at."""
    session.execute(update(OutboxMail).where(OutboxMail.id == outbox_id).values(changed_at=now, **values))


def _envelope_from(raw: bytes) -> str:
    """MAIL FROM of a frozen mail: the address in its From header (the queue's system address)."""
    headers = BytesHeaderParser(policy=default_policy).parsebytes(raw)
    found = getaddresses([str(headers.get("From", ""))])
    return found[0][1] if found and found[0][1] else ""
