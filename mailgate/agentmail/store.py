"""Write an agent's answer by mail: the article, state and pending time, history rows and the outbox row."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from sqlalchemy import update

from mailgate.agentmail.model import AgentAnswer, StoredHeaders
from mailgate.outbound.outbox import OutboundRequest, enqueue_outbound
from mailgate.tickets.articles import ArticleSpec, add_email_article
from mailgate.tickets.clock import epoch
from mailgate.tickets.writer import SYSTEM_USER, TicketRow, TicketWriter
from parsers.model import Address, Body, ParsedMessage
from schema import Ticket
from schema.outbox import OutboxKind

PENDING_PREFIX = "pending"
VIA = "agent_mail"


def article_dedupe_key(article_id: int) -> str:
    """The outbox dedupe key of an article sent to the customer: one send per article."""
    return f"article:{article_id}"


def _stored(parsed: ParsedMessage, answer: AgentAnswer) -> ParsedMessage:
    """The mail as stored: the full mail when refused; otherwise the answer text (no HTML with its quote)."""
    if answer.refused is not None:
        return parsed
    stored = dataclasses.replace(parsed, body=Body(text=answer.text), reply_text=answer.text)
    headers = answer.headers
    if headers is None:
        return stored
    return dataclasses.replace(
        stored,
        from_=Address(headers.sender, headers.sender_name),
        to=[Address(headers.to)],
        cc=[],
        reply_to=[],
        subject=headers.subject,
        message_id=headers.message_id,
        in_reply_to=[_bare(headers.in_reply_to)] if headers.in_reply_to else [],
        references=[_bare(item) for item in headers.references],
    )


def _bare(message_id: str) -> str:
    return message_id.strip().strip("<>")


def _set_state(writer: TicketWriter, ticket: TicketRow, answer: AgentAnswer) -> None:
    """The state the answer asked for, with its history row; a pending state also gets its pending time."""
    lookups = writer.lookups
    if answer.state is None:
        return
    old = next((name for name, ident in lookups.states.items() if ident == ticket.state_id), "")
    if lookups.state(answer.state) != ticket.state_id:
        ticket.set("ticket_state_id", lookups.state(answer.state))
        writer.history(ticket, "StateUpdate", f"%%{old}%%{answer.state}%%")
    is_pending = answer.state.startswith(PENDING_PREFIX)
    until: datetime | None = writer.now + answer.pending_for if is_pending and answer.pending_for else None
    until_time = epoch(until) if until else 0
    writer.session.connection().execute(
        update(Ticket).where(Ticket.id == ticket.id).values(until_time=until_time)
    )
    if until is not None:
        writer.history(ticket, "SetPendingTime", f"%%{until:%Y-%m-%d %H:%M:%S}")


def _history(writer: TicketWriter, ticket: TicketRow, answer: AgentAnswer, article_id: int) -> None:
    """Znuny's history row for what happened: SendAnswer, AddNote, or the refusal flag (Misc)."""
    if answer.refused is not None:
        writer.history(ticket, "Misc", f"Agent reply by mail NOT relayed: {answer.refused}", article_id)
    elif answer.relay_to:
        writer.history(ticket, "SendAnswer", f"%%{', '.join(answer.relay_to)}", article_id)
    else:
        writer.history(ticket, "AddNote", f"%%Note by mail ({answer.note_reason})", article_id)


def _enqueue(writer: TicketWriter, answer: AgentAnswer, headers: StoredHeaders, article_id: int) -> None:
    """The outbox row that sends the stored article to the customer after this transaction commits."""
    request = OutboundRequest(
        kind=OutboxKind.ARTICLE.value,
        dedupe_key=article_dedupe_key(article_id),
        recipients=list(answer.relay_to),
        ticket_id=answer.ticket_id,
        article_id=article_id,
        user_id=answer.user_id,
        params={"via": VIA, "message_id": f"<{headers.message_id}>"},
    )
    enqueue_outbound(writer.session, request, writer.now)


def store_agent_answer(
    writer: TicketWriter, parsed: ParsedMessage, raw: bytes, answer: AgentAnswer, *, fingerprint: str
) -> tuple[int, int]:
    """Write the answer on its ticket (the caller flushes); returns (ticket id, article id)."""
    ticket = writer.load_ticket(answer.ticket_id)
    lookups = writer.lookups
    acting = answer.user_id if answer.refused is None and answer.user_id else SYSTEM_USER
    spec = ArticleSpec(
        sender_type_id=lookups.sender_type(answer.sender_type),
        channel_id=lookups.channel("Email"),
        visible_for_customer=bool(answer.relay_to),
        fingerprint=fingerprint,
        user_id=acting,
    )
    previous, writer.user_id = writer.user_id, acting
    try:
        article_id = add_email_article(writer, ticket.id, _stored(parsed, answer), raw, spec)
        _history(writer, ticket, answer, article_id)
        if answer.refused is None:
            _set_state(writer, ticket, answer)
    finally:
        writer.user_id = previous
    if answer.relay_to and answer.headers is not None:
        _enqueue(writer, answer, answer.headers, article_id)
    return ticket.id, article_id
