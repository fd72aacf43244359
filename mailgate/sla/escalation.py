"""Znuny's escalation columns of a ticket, counted in business time with pauses, kept current.

Semantics follow Znuny's TicketEscalationIndexBuild:
- targets come from the ticket's SLA when it has one, else from its queue (minutes; 0 = none);
- first response: from the ticket's creation until the first agent article visible to the customer;
- update: from the latest contact: the latest agent article visible to the customer, or the first
  customer article after it (further customer mail does not restart the clock);
- solution: from creation until the ticket is first closed;
- closed, merged and removed tickets have no escalation; escalation_time is the earliest target.
Beyond Znuny: time in pending (and closed) states does not count (the clock pauses), and
auto-generated mail (out-of-office, bounces, reports) never counts as the customer's contact.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.header import decode_header, make_header
from email.parser import BytesHeaderParser
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session, aliased

from mailgate.followup.policy import is_auto_generated
from mailgate.rawheaders import header_block
from mailgate.sla.calendar import BusinessCalendar, to_epoch
from mailgate.sla.calendars import DEFAULT_NAME, CalendarRow, CalendarStore, calendar_columns
from mailgate.sla.history import add_history, history_type
from parsers import parse
from parsers.classify.autoreply import is_auto_reply
from parsers.classify.evidence import null_sender, sender_is_daemon, sender_is_noreply
from parsers.classify.headers import HeaderView
from schema import (
    Article,
    ArticleDataMimePlain,
    ArticleSenderType,
    Queue,
    Sla,
    Ticket,
    TicketState,
    TicketStateType,
)
from schema.sla import SlaCalendar, SlaClock

TARGETS = ("response", "update", "solution")
CLOSED_PREFIXES = ("merge", "close", "remove")  # Znuny: StateType =~ /^(merge|close|remove)/i
PAUSED_PREFIX = "pending"  # 'pending reminder', 'pending auto': the clock stands still
_RAW_PREFIX_CHARS = 87_384  # base64 characters of the first 64 KiB of a stored mail


@dataclass(frozen=True, slots=True)
class Targets:
    """Escalation targets in minutes (0: none) and notify percentages (0: no warning)."""

    calendar_name: str | None
    minutes: dict[str, int]
    notify: dict[str, int]

    def any(self) -> bool:
        """Whether any target is set."""
        return any(self.minutes.values())


@dataclass(frozen=True, slots=True)
class Escalations:
    """Epoch seconds of each deadline and of its warning (0: none)."""

    deadlines: dict[str, int]
    warnings: dict[str, int]

    @property
    def earliest(self) -> int:
        """Znuny's escalation_time: the earliest deadline set, 0 if none."""
        return min((value for value in self.deadlines.values() if value), default=0)

    @classmethod
    def none(cls) -> Escalations:
        """No deadline and no warning."""
        return cls(dict.fromkeys(TARGETS, 0), dict.fromkeys(TARGETS, 0))


def _target_columns(source: type[Sla] | type[Queue]) -> list[Any]:
    """calendar_name and the six time/notify columns of a queue or SLA, response first."""
    columns = [
        getattr(source, f"{name}_{kind}")
        for name in ("first_response", "update", "solution")
        for kind in ("time", "notify")
    ]
    return [source.calendar_name, *columns]


def _targets_of(row: Sequence[Any] | None) -> Targets:
    """Targets from (calendar_name, response time, notify, update time, notify, solution time, notify)."""
    if row is None:
        return Targets(None, dict.fromkeys(TARGETS, 0), dict.fromkeys(TARGETS, 0))
    values = [int(value or 0) for value in row[1:]]
    return Targets(
        row[0] or None,
        dict(zip(TARGETS, values[0::2], strict=True)),
        dict(zip(TARGETS, values[1::2], strict=True)),
    )


def load_targets(session: Session, queue_id: int, sla_id: int | None) -> Targets:
    """The SLA's targets when the ticket has an SLA, else the queue's (Znuny's EscalationPreferences)."""
    source: type[Sla] | type[Queue] = Sla if sla_id else Queue
    row = session.execute(select(*_target_columns(source)).where(source.id == (sla_id or queue_id))).first()
    return _targets_of(row)


def _start(target: str, clock: SlaClock, created: datetime) -> datetime | None:
    """Where a target's clock counts from; None once the target is met."""
    if target == "response":
        return None if clock.first_response_at else created
    if target == "update":
        return clock.update_start
    return None if clock.solved_at else created


def compute(calendar: BusinessCalendar, targets: Targets, clock: SlaClock, created: datetime) -> Escalations:
    """Deadlines and warnings of a running (not paused) ticket from its clock."""
    result = Escalations.none()
    for target in TARGETS:
        minutes, start = targets.minutes[target], _start(target, clock, created)
        if not minutes or start is None:
            continue
        begin, paused = to_epoch(start), getattr(clock, f"{target}_paused")
        result.deadlines[target] = calendar.add_seconds(begin, minutes * 60 + paused)
        notify = targets.notify[target]
        if 0 < notify < 100:
            result.warnings[target] = calendar.add_seconds(begin, minutes * 60 * notify // 100 + paused)
    return result


def next_alert(clock: SlaClock, escalations: Escalations) -> int:
    """The earliest warning or escalation of the current deadlines not alerted yet (0: none)."""
    due: list[int] = []
    for target in TARGETS:
        deadline, warning = escalations.deadlines[target], escalations.warnings[target]
        if not deadline or getattr(clock, f"{target}_escalated") == deadline:
            continue
        due.append(deadline)
        if warning and getattr(clock, f"{target}_warned") != deadline:
            due.append(warning)
    return min(due, default=0)


def _decoded(value: str) -> str:
    """A header value with RFC 2047 words decoded (only where it has any: the cheap common case)."""
    if "=?" not in value:
        return value
    return str(make_header(decode_header(value)))


def is_auto_generated_mail(raw: bytes) -> bool:
    """Whether a mail is an auto-reply, bounce, delivery report or complaint, from its headers if they tell.

    Auto-replies and reports are told by their headers alone; only mail from a mailer daemon, the
    null sender or a no-reply address is parsed in full and classified as the pipeline does.
    """
    try:
        head = BytesHeaderParser().parsebytes(header_block(raw) + b"\r\n\r\n")
        view = HeaderView([(name, _decoded(value)) for name, value in head.items()])
    except Exception:  # undecodable headers: let the full parser judge
        return is_auto_generated(parse(raw))
    content_type = view.get("content-type").lower()
    if (
        is_auto_reply(view)
        or content_type.startswith("multipart/report")
        or "feedback-report" in content_type
    ):
        return True
    if sender_is_daemon(view) or null_sender(view) or sender_is_noreply(view):
        return is_auto_generated(parse(raw))
    return False


def _auto_generated(session: Session, article_id: int) -> bool:
    """Whether a stored mail is auto-generated (the first 64 KiB of its raw source are read)."""
    encoded = session.scalar(
        select(func.substr(ArticleDataMimePlain.body, 1, _RAW_PREFIX_CHARS)).where(
            ArticleDataMimePlain.article_id == article_id
        )
    )
    if not encoded:
        return False
    try:
        raw = base64.b64decode(encoded)
    except (binascii.Error, ValueError):
        return False
    return is_auto_generated_mail(raw)


def _set_update_start(clock: SlaClock, moment: datetime) -> None:
    if clock.update_start != moment:
        clock.update_start, clock.update_paused = moment, 0


def read_articles(session: Session, clock: SlaClock) -> None:
    """Advance the clock over the ticket's articles it has not seen (first response, latest contact)."""
    rows = session.execute(
        select(Article.id, Article.create_time, Article.is_visible_for_customer, ArticleSenderType.name)
        .join(ArticleSenderType, ArticleSenderType.id == Article.article_sender_type_id)
        .where(Article.ticket_id == clock.ticket_id, Article.id > clock.last_article_id)
        .order_by(Article.id)
    ).all()
    for article_id, created, visible, sender in rows:
        if sender == "agent" and visible:
            clock.first_response_at = clock.first_response_at or created
            _set_update_start(clock, created)
            clock.last_contact = "agent"
        elif sender == "customer" and visible and not _auto_generated(session, article_id):
            if clock.last_contact != "customer":
                _set_update_start(clock, created)
                clock.last_contact = "customer"
        elif clock.last_contact is None:  # Znuny: without any contact the latest article starts it
            _set_update_start(clock, created)
        clock.last_article_id = article_id


def _resume(
    clock: SlaClock, calendar: BusinessCalendar, targets: Targets, created: datetime, now: datetime
) -> None:
    """End a pause: each target still running when the pause began is pushed out by the paused time."""
    assert clock.paused_since is not None
    since, end = to_epoch(clock.paused_since), to_epoch(now)
    for target in TARGETS:
        minutes, start = targets.minutes[target], _start(target, clock, created)
        if not minutes or start is None:
            continue
        begin, paused = to_epoch(start), getattr(clock, f"{target}_paused")
        if calendar.add_seconds(begin, minutes * 60 + paused) > since:
            setattr(clock, f"{target}_paused", paused + calendar.seconds_between(max(since, begin), end))
    clock.paused_since = None


@dataclass(frozen=True, slots=True)
class _TicketFacts:
    created: datetime
    state_type: str
    columns: tuple[int, ...]
    targets: Targets
    calendar: tuple[CalendarRow | None, CalendarRow | None]  # the named calendar's row, the 'default' row


_COLUMNS = (
    "escalation_response_time",
    "escalation_update_time",
    "escalation_solution_time",
    "escalation_time",
)
_NAMED = aliased(SlaCalendar, name="named_calendar")
_FALLBACK = aliased(SlaCalendar, name="default_calendar")
_CALENDAR_NAME = case((Ticket.sla_id.is_not(None), Sla.calendar_name), else_=Queue.calendar_name)
_FACTS = (
    select(
        Ticket.create_time,
        Ticket.sla_id,
        TicketStateType.name,
        *(getattr(Ticket, column) for column in _COLUMNS),
        *_target_columns(Queue),
        *_target_columns(Sla),
        *calendar_columns(_NAMED),
        *calendar_columns(_FALLBACK),
    )
    .join(TicketState, TicketState.id == Ticket.ticket_state_id)
    .join(TicketStateType, TicketStateType.id == TicketState.type_id)
    .join(Queue, Queue.id == Ticket.queue_id)
    .outerjoin(Sla, Sla.id == Ticket.sla_id)
    .outerjoin(_NAMED, _NAMED.name == _CALENDAR_NAME)
    .outerjoin(_FALLBACK, _FALLBACK.name == DEFAULT_NAME)
)


def _facts(session: Session, ticket_id: int) -> _TicketFacts | None:
    """The ticket's creation, state type, escalation columns, targets and calendar rows, in one read."""
    row = session.execute(_FACTS.where(Ticket.id == ticket_id)).first()
    if row is None:
        return None
    # the SLA's targets when the ticket has one (Znuny: even where they are 0), else the queue's
    targets = _targets_of(row[14:21] if row[1] else row[7:14])
    calendars = (tuple(row[21:27]), tuple(row[27:33]))
    return _TicketFacts(row[0], row[2].lower(), tuple(int(v or 0) for v in row[3:7]), targets, calendars)


def _stops(
    session: Session, clock: SlaClock, facts: _TicketFacts, escalations: Escalations, now: datetime
) -> None:
    """Znuny's Escalation<Target>TimeStop history row for each alerted escalation that just ended."""
    for target, before in zip(TARGETS, facts.columns, strict=False):
        if before and getattr(clock, f"{target}_escalated") == before != escalations.deadlines[target]:
            add_history(session, clock.ticket_id, history_type(target, "stop"), now)


def _write(session: Session, ticket_id: int, facts: _TicketFacts, escalations: Escalations) -> None:
    d = escalations.deadlines
    values = (d["response"], d["update"], d["solution"], escalations.earliest)
    if values != facts.columns:
        session.execute(
            update(Ticket).where(Ticket.id == ticket_id).values(dict(zip(_COLUMNS, values, strict=True)))
        )


def _new_clock(session: Session, ticket_id: int, now: datetime) -> SlaClock:
    clock = SlaClock(ticket_id=ticket_id, last_article_id=0, changed_at=now)
    for target in TARGETS:
        for kind in ("paused", "warn", "warned", "escalated"):
            setattr(clock, f"{target}_{kind}", 0)
    clock.next_alert = 0
    session.add(clock)
    return clock


def refresh_escalations(
    session: Session, ticket_id: int, now: datetime, calendars: CalendarStore | None = None
) -> Escalations:
    """Recompute the ticket's escalation columns (call after the event's articles and state are written)."""
    facts = _facts(session, ticket_id)
    if facts is None:
        return Escalations.none()
    targets = facts.targets
    if not targets.any():  # the common case costs two reads; a stale clock finds nothing due
        _write(session, ticket_id, facts, Escalations.none())
        return Escalations.none()
    # locked: the alert check never marks alerts on a clock this transaction is recomputing
    clock = session.get(SlaClock, ticket_id, with_for_update=True) or _new_clock(session, ticket_id, now)
    calendar = (calendars or CalendarStore()).resolve(targets.calendar_name, *facts.calendar)
    read_articles(session, clock)
    closed = facts.state_type.startswith(CLOSED_PREFIXES)
    if closed and clock.solved_at is None:
        clock.solved_at = now
    stopped = closed or facts.state_type.startswith(PAUSED_PREFIX)
    if stopped and clock.paused_since is None:
        clock.paused_since = now
    elif not stopped and clock.paused_since is not None:
        _resume(clock, calendar, targets, facts.created, now)
    escalations = Escalations.none() if stopped else compute(calendar, targets, clock, facts.created)
    for target in TARGETS:
        setattr(clock, f"{target}_warn", escalations.warnings[target])
    clock.next_alert, clock.changed_at = next_alert(clock, escalations), now
    _stops(session, clock, facts, escalations, now)
    _write(session, ticket_id, facts, escalations)
    session.flush()
    return escalations
