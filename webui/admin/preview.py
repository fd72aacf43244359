"""Previews of admins' mail texts (auto-responses, templates, salutations, signatures) on a sample ticket.

Rendering is the notifier's own (notifier.templates.MailTemplates in its sandbox, the auto-reply's tag
data and queue texts), so the preview shows what customers would get. The sample is a real ticket when
the admin names one, otherwise a made-up ticket in the chosen queue. Nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from mailgate.outbound.lookup import last_customer_mail, queue_sender
from mailgate.ticketnumber import DEFAULT_STYLE, build_subject
from notifier.autoreply import PRODUCT, customer_mail, queue_texts, tag_data
from notifier.notification import default_templates
from notifier.render import RenderContext, RenderError
from notifier.templates import Rendered, TagData, TemplateRejectedError
from schema import Queue, Ticket, User
from webui.access import current_agent

SAMPLE_TN = "2026112610000017"
SAMPLE_SUBJECT = "Printer on floor 3 does not print"
SAMPLE_BODY = "Hello,\n\nthe printer on floor 3 shows error 41 since this morning.\nCan you help?\n\nJane"


@dataclass(frozen=True, slots=True)
class Preview:
    """A rendered text: subject (for auto-responses), text and HTML parts, or why it cannot render."""

    source: str
    subject: str = ""
    text: str = ""
    html: str = ""
    error: str = ""


def render_context() -> RenderContext:
    """The notifier's render context for this installation (no secret: previews sign nothing)."""
    settings = current_app.extensions["mailgate"].settings
    return RenderContext(fqdn=settings.fqdn, system_id=str(settings.system_id), secret="",
                         clock=lambda: datetime.now(UTC).replace(tzinfo=None))  # fmt: skip


def sample_data(session: Session, queue_id: int | None, ctx: RenderContext) -> tuple[TagData, int | None]:
    """A made-up ticket from Jane Doe in the queue (or the first queue), and that queue's id."""
    queue = (
        session.get(Queue, queue_id)
        if queue_id
        else session.scalars(select(Queue).order_by(Queue.id)).first()
    )
    sender = queue_sender(session, queue.id) if queue is not None else None
    agent = session.get(User, current_agent().id)
    now = ctx.now().strftime("%Y-%m-%d %H:%M:%S")
    queue_name = queue.name if queue is not None else ""
    ticket = {
        "TicketNumber": SAMPLE_TN,
        "TicketID": "17",
        "Title": SAMPLE_SUBJECT,
        "Queue": queue_name,
        "State": "new",
        "Priority": "3 normal",
        "Type": "Unclassified",
        "Created": now,
        "Changed": now,
        "CustomerID": "customer.example",
        "CustomerUserID": "jane",
    }
    article = {
        "From": "jane@customer.example",
        "FromName": "Jane Doe",
        "To": sender.email if sender else "",
        "Cc": "",
        "Subject": SAMPLE_SUBJECT,
        "Body": SAMPLE_BODY,
    }
    customer = {
        "UserLogin": "jane",
        "UserFirstname": "Jane",
        "UserLastname": "Doe",
        "UserEmail": "jane@customer.example",
        "UserCustomerID": "customer.example",
    }
    config = {
        "fqdn": ctx.fqdn, "systemid": ctx.system_id, "ticket::hook": DEFAULT_STYLE.hook,
        "ticket::hookdivider": DEFAULT_STYLE.divider, "productname": PRODUCT,
    }  # fmt: skip
    queue_values = {
        "Name": queue_name,
        "Email": sender.email if sender else "",
        "RealName": sender.name if sender else "",
    }
    person = _person(agent)
    data = TagData(ticket=ticket, article=article, customer=customer, agent=person, owner=person,
                   recipient=person, queue=queue_values, config=config)  # fmt: skip
    return data, queue.id if queue is not None else None


def _person(user: User | None) -> dict[str, str]:
    if user is None:
        return {}
    return {"UserLogin": user.login, "UserFirstname": user.first_name, "UserLastname": user.last_name}


def ticket_data(session: Session, ticket_id: int, ctx: RenderContext) -> tuple[TagData, int] | None:
    """The tag data of a real ticket and its newest customer mail, as the auto-reply renderer reads it."""
    ticket = session.get(Ticket, ticket_id)
    answered = last_customer_mail(session, ticket_id) if ticket is not None else None
    if ticket is None or answered is None:
        return None
    try:
        mail = customer_mail(session, answered.article_id)
    except RenderError:
        return None
    return tag_data(session, ticket, mail, ctx), ticket.queue_id


def preview_text(
    session: Session, source: str, content_type: str | None, *, subject: str | None = None,
    queue_id: int | None = None, ticket_id: int | None = None,
) -> Preview:  # fmt: skip
    """Render a stored text (and an auto-response subject) on the sample or the named ticket."""
    ctx = render_context()
    real = ticket_data(session, ticket_id, ctx) if ticket_id else None
    if ticket_id and real is None:
        return Preview(
            f"ticket {ticket_id}", error=f"ticket {ticket_id} does not exist or has no customer mail"
        )
    data, queue = real if real is not None else sample_data(session, queue_id, ctx)
    label = f"ticket {ticket_id}" if real is not None else "a sample ticket"
    templates = default_templates()
    try:
        context = queue_texts(session, templates, queue, data) if queue is not None else {}
        body = templates.render_parts(source, content_type, data, context)
        title = templates.render(subject, data, as_html=False) if subject is not None else ""
    except TemplateRejectedError as exc:
        return Preview(label, error=str(exc))
    if subject is not None:
        tn = data.ticket.get("TicketNumber", SAMPLE_TN)
        title = build_subject(tn, " ".join(title.split()), DEFAULT_STYLE, action="new", cleanup=False)
    return Preview(label, title, body.text, body.html)


def check_renders(source: str, content_type: str | None, subject: str | None = None) -> str | None:
    """Why a text cannot render in the sandbox (on the sample ticket), or None when it can."""
    templates = default_templates()
    data = TagData(
        ticket={"TicketNumber": SAMPLE_TN}, article={"Subject": SAMPLE_SUBJECT, "Body": SAMPLE_BODY}
    )
    context = {"salutation": Rendered("", ""), "signature": Rendered("", "")}
    try:
        templates.render_parts(source, content_type, data, context)
        if subject is not None:
            templates.render(subject, data, as_html=False)
    except TemplateRejectedError as exc:
        return str(exc)
    return None
