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
from itertools import accumulate
from typing import Any

from sqlalchemy import and_, bindparam, case, func, insert, select, update
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


def _stored_mail_is_auto_generated(encoded: str | None) -> bool:
    """Whether a stored mail (base64 of its first 64 KiB, as in article_data_mime_plain) is auto-generated."""
    if not encoded:
        return False
    try:
        raw = base64.b64decode(encoded)
    except (binascii.Error, ValueError):
        return False
    return is_auto_generated_mail(raw)


_CUSTOMER_VISIBLE = and_(ArticleSenderType.name == "customer", Article.is_visible_for_customer == 1)
_NEW_ARTICLES = (
    select(
        Article.id,
        Article.create_time,
        Article.is_visible_for_customer,
        ArticleSenderType.name,
        # only a customer's mail needs its raw source (is it an out-of-office?)
        case((_CUSTOMER_VISIBLE, func.substr(ArticleDataMimePlain.body, 1, _RAW_PREFIX_CHARS)), else_=None),
    )
    .join(ArticleSenderType, ArticleSenderType.id == Article.article_sender_type_id)
    .outerjoin(ArticleDataMimePlain, ArticleDataMimePlain.article_id == Article.id)
    .order_by(Article.id)
)


def _set_update_start(clock: SlaClock, moment: datetime) -> None:
    if clock.update_start != moment:
        clock.update_start, clock.update_paused = moment, 0


def read_articles(session: Session, clock: SlaClock) -> None:
    """Advance the clock over the ticket's articles it has not seen (first response, latest contact)."""
    rows = session.execute(
        _NEW_ARTICLES.where(Article.ticket_id == clock.ticket_id, Article.id > clock.last_article_id)
    ).all()
    for article_id, created, visible, sender, raw in rows:
        if sender == "agent" and visible:
            clock.first_response_at = clock.first_response_at or created
            _set_update_start(clock, created)
            clock.last_contact = "agent"
        elif sender == "customer" and visible and not _stored_mail_is_auto_generated(raw):
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
    clock: dict[str, Any] | None  # the stored mailgate_sla_clock row, None if there is none yet


_COLUMNS = (
    "escalation_response_time",
    "escalation_update_time",
    "escalation_solution_time",
    "escalation_time",
)
_CLOCK_COLUMNS = tuple(column.key for column in SlaClock.__table__.columns)
_NAMED = aliased(SlaCalendar, name="named_calendar")
_FALLBACK = aliased(SlaCalendar, name="default_calendar")
_TARGET_PARTS: dict[str, list[Any]] = {
    "ticket": [Ticket.sla_id],
    "columns": [getattr(Ticket, column) for column in _COLUMNS],
    "queue": _target_columns(Queue),
    "sla": _target_columns(Sla),
}
_DETAIL_PARTS: dict[str, list[Any]] = {
    "ticket": [Ticket.create_time, TicketStateType.name],
    "named": calendar_columns(_NAMED),
    "fallback": calendar_columns(_FALLBACK),
    "clock": [getattr(SlaClock, column) for column in _CLOCK_COLUMNS],
}


def _slices(parts: dict[str, list[Any]]) -> dict[str, slice]:
    """Where each part's columns are in a row of all parts' columns."""
    ends = list(accumulate(len(columns) for columns in parts.values()))
    return {
        name: slice(end - len(columns), end) for (name, columns), end in zip(parts.items(), ends, strict=True)
    }


def _all(parts: dict[str, list[Any]]) -> list[Any]:
    return [column for columns in parts.values() for column in columns]


_TARGET_SLICES, _DETAIL_SLICES = _slices(_TARGET_PARTS), _slices(_DETAIL_PARTS)
# first read: the targets (all most tickets need: a queue without targets ends here)
_TARGETS = (
    select(*_all(_TARGET_PARTS))
    .join(Queue, Queue.id == Ticket.queue_id)
    .outerjoin(Sla, Sla.id == Ticket.sla_id)
)
# second read, with targets only: creation, state type, the calendar rows and the clock
_DETAILS = (
    select(*_all(_DETAIL_PARTS))
    .join(TicketState, TicketState.id == Ticket.ticket_state_id)
    .join(TicketStateType, TicketStateType.id == TicketState.type_id)
    .outerjoin(_NAMED, _NAMED.name == bindparam("calendar_name"))
    .outerjoin(_FALLBACK, _FALLBACK.name == DEFAULT_NAME)
    .outerjoin(SlaClock, SlaClock.ticket_id == Ticket.id)
)


@dataclass(frozen=True, slots=True)
class _TicketTargets:
    columns: tuple[int, ...]
    targets: Targets


def _targets_for(session: Session, ticket_id: int) -> _TicketTargets | None:
    """The ticket's escalation columns and its SLA's (else its queue's) targets."""
    row = session.execute(_TARGETS.where(Ticket.id == ticket_id)).first()
    if row is None:
        return None
    (sla_id,) = row[_TARGET_SLICES["ticket"]]
    # the SLA's targets when the ticket has one (Znuny: even where they are 0), else the queue's
    targets = _targets_of(row[_TARGET_SLICES["sla"]] if sla_id else row[_TARGET_SLICES["queue"]])
    return _TicketTargets(tuple(int(value or 0) for value in row[_TARGET_SLICES["columns"]]), targets)


def _facts(session: Session, ticket_id: int, found: _TicketTargets) -> _TicketFacts:
    """Creation, state type, calendar rows and clock of a ticket that has targets."""
    row = session.execute(
        _DETAILS.where(Ticket.id == ticket_id), {"calendar_name": found.targets.calendar_name}
    ).one()
    created, state_type = row[_DETAIL_SLICES["ticket"]]
    calendars = (tuple(row[_DETAIL_SLICES["named"]]), tuple(row[_DETAIL_SLICES["fallback"]]))
    clock = dict(zip(_CLOCK_COLUMNS, row[_DETAIL_SLICES["clock"]], strict=True))
    return _TicketFacts(
        created,
        state_type.lower(),
        found.columns,
        found.targets,
        calendars,
        clock if clock["ticket_id"] is not None else None,
    )


def _stops(
    session: Session, clock: SlaClock, facts: _TicketFacts, escalations: Escalations, now: datetime
) -> None:
    """Znuny's Escalation<Target>TimeStop history row for each alerted escalation that just ended."""
    for target, before in zip(TARGETS, facts.columns, strict=False):
        if before and getattr(clock, f"{target}_escalated") == before != escalations.deadlines[target]:
            add_history(session, clock.ticket_id, history_type(target, "stop"), now)


def _write_columns(
    session: Session, ticket_id: int, before: tuple[int, ...], escalations: Escalations
) -> None:
    d = escalations.deadlines
    values = (d["response"], d["update"], d["solution"], escalations.earliest)
    if values != before:
        session.execute(
            update(Ticket).where(Ticket.id == ticket_id).values(dict(zip(_COLUMNS, values, strict=True)))
        )


def _clock_of(ticket_id: int, stored: dict[str, Any] | None, now: datetime) -> SlaClock:
    """A detached SlaClock from the stored values (or a fresh one); written back by _save_clock."""
    if stored is not None:
        return SlaClock(**stored)
    clock = SlaClock(ticket_id=ticket_id, last_article_id=0, changed_at=now, next_alert=0)
    for target in TARGETS:
        for kind in ("paused", "warn", "warned", "escalated"):
            setattr(clock, f"{target}_{kind}", 0)
    for name in ("first_response_at", "solved_at", "update_start", "last_contact", "paused_since"):
        setattr(clock, name, None)
    return clock


def _save_clock(session: Session, clock: SlaClock, stored: dict[str, Any] | None, now: datetime) -> None:
    """INSERT the clock, or UPDATE the columns that changed (never the alert marks the check writes)."""
    values = {column: getattr(clock, column) for column in _CLOCK_COLUMNS}
    if stored is None:
        session.execute(insert(SlaClock).values(values))
        return
    changed = {column: value for column, value in values.items() if stored[column] != value}
    if changed:
        changed["changed_at"] = now
        session.execute(update(SlaClock).where(SlaClock.ticket_id == clock.ticket_id).values(changed))


def refresh_escalations(
    session: Session, ticket_id: int, now: datetime, calendars: CalendarStore | None = None
) -> Escalations:
    """Recompute the ticket's escalation columns (call after the event's articles and state are written)."""
    found = _targets_for(session, ticket_id)
    if found is None:
        return Escalations.none()
    if not found.targets.any():  # the common case costs one read; a stale clock finds nothing due
        if any(found.columns):
            _write_columns(session, ticket_id, found.columns, Escalations.none())
        return Escalations.none()
    facts = _facts(session, ticket_id, found)
    targets = facts.targets
    clock = _clock_of(ticket_id, facts.clock, now)
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
    clock.next_alert = next_alert(clock, escalations)
    _stops(session, clock, facts, escalations, now)
    _write_columns(session, ticket_id, facts.columns, escalations)
    _save_clock(session, clock, facts.clock, now)
    return escalations
