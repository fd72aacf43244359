"""Merge one ticket into another the way Znuny's TicketMerge does, and find where a merged ticket went."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mailgate.sla.escalation import refresh_escalations
from mailgate.tickets.articles import ARTICLE_INSERT, CONTENT_TYPE_TEXT
from mailgate.tickets.changes import Change, TicketChangeError
from mailgate.tickets.clock import epoch
from mailgate.tickets.writer import audit, table_of
from schema import Article, ArticleDataMime, Ticket, User
from schema.pipeline import TicketLink

MERGED_REASON = "merged"
MERGE_SUBJECT = "Ticket Merged"  # Znuny's Ticket::Frontend::AutomaticMergeSubject
MERGE_TEXT = "Merged Ticket {source} to {target}."  # Znuny's Ticket::Frontend::AutomaticMergeText
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
    _merge_note(source, target.row.tn, user_id)
    for change in (source, target):
        change.writer.flush()
    session.flush()
    session.expire_all()
    for ident in (source_id, target_id):
        refresh_escalations(session, ident, now)


def _merge_note(source: Change, target_tn: str, user_id: int) -> None:
    """Znuny's AutomaticMergeText as an agent note on the merged ticket (written after the articles moved)."""
    lookups, now = source.lookups, source.now
    text = MERGE_TEXT.format(source=source.row.tn, target=target_tn)
    values = {
        "ticket_id": source.row.id,
        "article_sender_type_id": lookups.sender_type("agent"),
        "communication_channel_id": lookups.channel("Internal"),
        "is_visible_for_customer": 1,
        "search_index_needs_rebuild": 1,
        "insert_fingerprint": None,
        **audit(now, user_id),
    }
    article_id = source.session.connection().execute(ARTICLE_INSERT, values).scalar_one()
    agent = source.session.execute(select(User.first_name, User.last_name).where(User.id == user_id)).first()
    source.writer.add(
        table_of(ArticleDataMime),
        {
            "article_id": article_id, "a_from": f"{agent[0]} {agent[1]}".strip() if agent else None,
            "a_reply_to": None, "a_to": None, "a_cc": None, "a_bcc": None, "a_subject": MERGE_SUBJECT,
            "a_message_id": None, "a_message_id_md5": None, "a_in_reply_to": None, "a_references": None,
            "a_content_type": CONTENT_TYPE_TEXT, "a_body": text, "incoming_time": epoch(now),
            "content_path": None, **audit(now, user_id),
        },
    )  # fmt: skip
    source.history("AddNote", "%%Note", article_id)


def _merged_state(change: Change) -> int:
    states = [ident for ident, kind in change.lookups.state_types.items() if kind == "merged"]
    if "merged" in change.lookups.states:
        return change.lookups.state("merged")
    if not states:
        raise TicketChangeError("no ticket state of type 'merged' in the database")
    return min(states)


def _state_name(change: Change, state_id: int) -> str:
    return next((name for name, ident in change.lookups.states.items() if ident == state_id), "")
