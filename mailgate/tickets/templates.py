"""Canned responses: Znuny's standard_template rows a queue offers (queue_standard_template), filled in."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailgate.outbound.lookup import customer_mailbox
from parsers.html import to_text
from schema import QueueStandardTemplate, StandardTemplate, Ticket, User

VALID = 1
ANSWER = "Answer"
_TAG = re.compile(r"<(?:OTRS|ZNUNY)_([A-Za-z0-9_]+)>|&lt;(?:OTRS|ZNUNY)_([A-Za-z0-9_]+)&gt;")


@dataclass(frozen=True, slots=True)
class CannedResponse:
    """A template as the agent sees it: name and plain text with the ticket's values filled in."""

    id: int
    name: str
    text: str


def queue_templates(session: Session, queue_id: int, template_type: str = ANSWER) -> list[StandardTemplate]:
    """The valid templates of `template_type` assigned to the queue, by name."""
    return list(
        session.scalars(
            select(StandardTemplate)
            .join(QueueStandardTemplate, QueueStandardTemplate.standard_template_id == StandardTemplate.id)
            .where(
                QueueStandardTemplate.queue_id == queue_id,
                StandardTemplate.valid_id == VALID,
                StandardTemplate.template_type == template_type,
            )
            .order_by(StandardTemplate.name)
        )
    )


def _values(session: Session, ticket: Ticket, agent_id: int) -> dict[str, str]:
    agent = session.get(User, agent_id)
    customer = customer_mailbox(session, ticket)
    return {
        "CUSTOMER_REALNAME": (customer.name or customer.email) if customer else "",
        "CUSTOMER_EMAIL": customer.email if customer else "",
        "CURRENT_USERFIRSTNAME": agent.first_name if agent else "",
        "CURRENT_USERLASTNAME": agent.last_name if agent else "",
        "CURRENT_USERFULLNAME": f"{agent.first_name} {agent.last_name}".strip() if agent else "",
        "TICKET_TICKETNUMBER": ticket.tn,
        "TICKET_TITLE": ticket.title or "",
        "TICKET_TICKETID": str(ticket.id),
    }


def fill(text: str, values: dict[str, str]) -> str:
    """Replace Znuny's <OTRS_...>/<ZNUNY_...> tags by the values (tags not known become empty)."""

    def one(match: re.Match[str]) -> str:
        return values.get((match.group(1) or match.group(2)).upper(), "")

    return _TAG.sub(one, text)


def canned_responses(session: Session, ticket_id: int, agent_id: int) -> list[CannedResponse]:
    """The answers the ticket's queue offers, as plain text for the reply box, with tags filled in."""
    ticket = session.get_one(Ticket, ticket_id)
    templates = queue_templates(session, ticket.queue_id)
    if not templates:
        return []
    values = _values(session, ticket, agent_id)
    found = []
    for template in templates:
        text = fill(template.text or "", values)
        if "html" in (template.content_type or "").lower():
            text = to_text(text)
        found.append(CannedResponse(template.id, template.name, text.strip()))
    return found
