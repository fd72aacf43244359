"""Merge one ticket into another the way Znuny's TicketMerge does, and find where a merged ticket went."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mailgate.sla.escalation import refresh_escalations
from mailgate.tickets.changes import Change, TicketChangeError
from schema import Article, Ticket
from schema.pipeline import TicketLink

MERGED_REASON = "merged"
MAX_MERGE_HOPS = 10


def merged_into(session: Session, ticket_id: int) -> int | None:
    """The ticket a merged ticket was merged into (followed through chains of merges), else None."""
    current, seen = ticket_id, {ticket_id}
    for _ in range(MAX_MERGE_HOPS):
        target = session.scalar(
            select(TicketLink.linked_ticket_id)
            .where(TicketLink.ticket_id == current, TicketLink.reason == MERGED_REASON)
            .order_by(TicketLink.id.desc())
            .limit(1)
        )
        if target is None or target in seen:
            break
        current = target
        seen.add(target)
    return None if current == ticket_id else current


def resolve_merged(session: Session, ticket_id: int | None) -> int | None:
    """The ticket a follow-up to `ticket_id` belongs to: itself, or where it was merged into."""
    if ticket_id is None:
        return None
    return merged_into(session, ticket_id) or ticket_id


def merge(session: Session, source_id: int, target_id: int, user_id: int, now: datetime) -> None:
    """Move every article of `source_id` to `target_id`, set the source to 'merged', history 'Merged' on both.

    Like Znuny: the articles (and with them their Message-IDs, so follow-ups thread to the target) move;
    the source keeps its history, gets state 'merged', is unlocked and linked to the target.
    """
    if source_id == target_id:
        raise TicketChangeError("a ticket cannot be merged into itself")
    if session.get(Ticket, target_id) is None:
        raise TicketChangeError(f"ticket {target_id} does not exist")
    # lock both rows in id order (two agents merging crosswise cannot deadlock)
    first, second = sorted((source_id, target_id))
    changes = {ident: Change.begin(session, ident, user_id, now) for ident in (first, second)}
    source, target = changes[source_id], changes[target_id]
    merged_state = _merged_state(source)
    if source.row.state_id == merged_state:
        raise TicketChangeError(f"ticket {source_id} is already merged")
    if target.row.state_id == merged_state:
        raise TicketChangeError(f"ticket {target_id} is merged itself: merge into the ticket it went to")
    session.execute(
        update(Article)
        .where(Article.ticket_id == source_id)
        .values(ticket_id=target_id, change_time=now, change_by=user_id)
    )
    session.add(TicketLink(ticket_id=source_id, linked_ticket_id=target_id, reason=MERGED_REASON))
    name = f"%%{source.row.tn}%%{source_id}%%{target.row.tn}%%{target_id}"
    old_state = source.row.state_id
    source.write(ticket_state_id=merged_state, until_time=0)
    source.history("StateUpdate", f"%%{_state_name(source, old_state)}%%merged%%")
    source.history("Merged", name)
    target.history("Merged", name)
    unlocked = source.lookups.lock("unlock")
    if source.row.lock_id != unlocked:
        source.write(ticket_lock_id=unlocked)
        source.history("Unlock", "%%unlock")
    for change in (source, target):
        change.writer.flush()
    session.flush()
    session.expire_all()
    for ident in (source_id, target_id):
        refresh_escalations(session, ident, now)


def _merged_state(change: Change) -> int:
    states = [ident for ident, kind in change.lookups.state_types.items() if kind == "merged"]
    if "merged" in change.lookups.states:
        return change.lookups.state("merged")
    if not states:
        raise TicketChangeError("no ticket state of type 'merged' in the database")
    return min(states)


def _state_name(change: Change, state_id: int) -> str:
    return next((name for name, ident in change.lookups.states.items() if ident == state_id), "")
