"""Renderer for kind 'auto_reply': Znuny's auto_response row, rendered for the customer's mail it answers.

As Znuny's TemplateGenerator::AutoResponse: the subject (text1) and body (text0) go through the
tag replacement; the subject becomes "[Ticket#<tn>] <subject>" without cleaning (TicketSubjectBuild
Type New, NoCleanup); the sender is the auto-response's own system address (else the queue's).
The mail answers the customer's mail (In-Reply-To/References/Thread-Index), carries
``Auto-Submitted: auto-replied`` and is stored on the ticket as a system article with Znuny's
SendAutoReply / SendAutoFollowUp / SendAutoReject history. The queue's salutation and signature
are offered to templates as ``{{ salutation }}`` and ``{{ signature }}``; like Znuny, a shipped
auto_response row does not get them added on its own. Znuny's auto_response has no language;
``{{ language }}`` (the customer's UserLanguage from customer_preferences, else the default 'en')
lets one row speak several: ``{% if language == 'de' %}...{% else %}...{% endif %}``.

At send time the recipient is checked once more: an address that bounced in the meantime
(mailgate_undeliverable) is not written to; the row is suppressed with the reason.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from email.utils import getaddresses
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailgate.outbound.lookup import ticket
from mailgate.outbound.policy import undeliverable_refusal
from mailgate.ticketnumber import build_subject
from notifier.batchcache import cached_queue_sender, stored_mail
from notifier.render import (
    AUTO_REPLIED,
    Address,
    RenderContext,
    RenderedMail,
    RendererRegistry,
    RenderError,
    StoreArticle,
    Suppress,
    Threading,
)
from notifier.templates import MailTemplates, Rendered, TagData, TemplateRejectedError
from schema import (
    AutoResponse,
    CustomerPreference,
    CustomerUser,
    Queue,
    Salutation,
    Signature,
    SystemAddress,
    Ticket,
    TicketPriority,
    TicketState,
    TicketType,
    User,
)
from schema.agents import USER_LANGUAGE_KEY
from schema.outbox import OutboxKind, OutboxMail

SYSTEM_USER = 1  # Znuny's postmaster acts as user 1
PRODUCT = "mailgate"
HISTORY_TYPES = {
    "auto reply": "SendAutoReply",
    "auto reply/new ticket": "SendAutoReply",
    "auto follow up": "SendAutoFollowUp",
    "auto reject": "SendAutoReject",
}


@dataclass(frozen=True, slots=True)
class CustomerMail:
    """The stored customer mail an outbound mail is about."""

    sender: str
    sender_name: str
    to: str
    cc: str
    subject: str
    body: str
    message_id: str | None
    references: tuple[str, ...]


def customer_mail(session: Session, article_id: int | None) -> CustomerMail:
    """The article's stored headers and body (article_data_mime)."""
    mime = stored_mail(session, article_id)
    if mime is None:
        raise RenderError(f"article {article_id} has no stored mail")
    names = getaddresses([mime.a_from or ""])
    name, address = names[0] if names else ("", "")
    return CustomerMail(
        sender=address,
        sender_name=name,
        to=mime.a_to or "",
        cc=mime.a_cc or "",
        subject=mime.a_subject or "",
        body=mime.a_body or "",
        message_id=mime.a_message_id,
        references=tuple((mime.a_references or "").split()),
    )


def _user(session: Session, user_id: int | None) -> dict[str, str]:
    user = session.get(User, user_id) if user_id else None
    if user is None:
        return {}
    return {
        "UserID": str(user.id),
        "UserLogin": user.login,
        "UserFirstname": user.first_name,
        "UserLastname": user.last_name,
        "UserFullname": f"{user.first_name} {user.last_name}".strip(),
        "UserTitle": user.title or "",
    }


def _customer(session: Session, login: str | None) -> dict[str, str]:
    row = session.scalar(select(CustomerUser).where(CustomerUser.login == login)) if login else None
    if row is None:
        return {"UserLogin": login or ""}
    return {
        "UserLogin": row.login,
        "UserFirstname": row.first_name,
        "UserLastname": row.last_name,
        "UserEmail": row.email,
        "UserCustomerID": row.customer_id,
        "UserTitle": row.title or "",
    }


def _name(session: Session, model: Any, ident: int | None) -> str:
    row = session.get(model, ident) if ident is not None else None
    return str(row.name) if row is not None else ""


def ticket_values(session: Session, row: Ticket, queue_name: str) -> dict[str, str]:
    """The ticket as Znuny's TicketGet names its fields (strings)."""
    return {
        "TicketID": str(row.id),
        "TicketNumber": row.tn,
        "Title": row.title or "",
        "Queue": queue_name,
        "QueueID": str(row.queue_id),
        "State": _name(session, TicketState, row.ticket_state_id),
        "Priority": _name(session, TicketPriority, row.ticket_priority_id),
        "Type": _name(session, TicketType, row.type_id),
        "CustomerID": row.customer_id or "",
        "CustomerUserID": row.customer_user_id or "",
        "Owner": _user(session, row.user_id).get("UserLogin", ""),
        "Responsible": _user(session, row.responsible_user_id).get("UserLogin", ""),
        "Created": row.create_time.strftime("%Y-%m-%d %H:%M:%S"),
        "Changed": row.change_time.strftime("%Y-%m-%d %H:%M:%S"),
    }


def tag_data(
    session: Session,
    row: Ticket,
    mail: CustomerMail,
    ctx: RenderContext,
    *,
    recipient: dict[str, str] | None = None,
) -> TagData:
    """Everything a template may read about this ticket, mail, customer, queue and agents."""
    queue = session.get(Queue, row.queue_id)
    queue_name = queue.name if queue is not None else ""
    sender = cached_queue_sender(session, row.queue_id) if queue is not None else None
    style = ctx.subject_style
    return TagData(
        ticket=ticket_values(session, row, queue_name),
        article={
            "From": mail.sender,
            "FromName": mail.sender_name,
            "To": mail.to,
            "Cc": mail.cc,
            "Subject": mail.subject,
            "Body": mail.body,
        },
        customer=_customer(session, row.customer_user_id),
        agent=_user(session, SYSTEM_USER),
        owner=_user(session, row.user_id),
        responsible=_user(session, row.responsible_user_id),
        recipient=recipient or {},
        queue={
            "Name": queue_name,
            "Email": sender.email if sender else "",
            "RealName": sender.name if sender else "",
        },
        config={
            "fqdn": ctx.fqdn,
            "systemid": ctx.system_id,
            "ticket::hook": style.hook,
            "ticket::hookdivider": style.divider,
            "productname": PRODUCT,
        },
        style=style,
    )


def queue_texts(
    session: Session, templates: MailTemplates, queue_id: int, data: TagData
) -> dict[str, Rendered]:
    """The queue's salutation and signature rows, rendered (empty when the queue has none)."""
    queue = session.get(Queue, queue_id)
    salutation = session.get(Salutation, queue.salutation_id) if queue is not None else None
    signature = session.get(Signature, queue.signature_id) if queue is not None else None
    found: dict[str, Rendered] = {}
    for key, row in (("salutation", salutation), ("signature", signature)):
        found[key] = (
            templates.render_parts(row.text, row.content_type, data)
            if row is not None and row.text
            else Rendered("", "")
        )
    return found


def customer_language(session: Session, login: str | None) -> str | None:
    """The customer's UserLanguage (customer_preferences), or None."""
    if not login:
        return None
    value = session.scalar(
        select(CustomerPreference.preferences_value)
        .where(CustomerPreference.user_id == login, CustomerPreference.preferences_key == USER_LANGUAGE_KEY)
        .limit(1)
    )
    return value.strip() if value and value.strip() else None


def templates_of(ctx: RenderContext) -> MailTemplates:
    """The worker's template set, or the built-in one."""
    if isinstance(ctx.templates, MailTemplates):
        return ctx.templates
    from notifier.notification import default_templates

    return default_templates()


def _sender(session: Session, response: AutoResponse, queue_id: int) -> Address:
    """The auto-response's own system address (Znuny), else the queue's."""
    address = session.get(SystemAddress, response.system_address_id) if response.system_address_id else None
    if address is not None and "@" in address.value0:
        return Address(address.value0.strip(), (address.value1 or "").strip())
    mailbox = cached_queue_sender(session, queue_id)
    return Address(mailbox.email, mailbox.name)


class AutoReplyRenderer:
    """Znuny's auto-responses (auto reply, auto follow up, auto reject, auto reply/new ticket)."""

    kind = OutboxKind.AUTO_REPLY.value

    def render(self, session: Session, row: OutboxMail, ctx: RenderContext) -> RenderedMail | Suppress:
        """The auto-response for this row's article; Suppress if the response or the recipient went bad."""
        response = session.get(AutoResponse, row.auto_response_id) if row.auto_response_id else None
        if response is None or response.valid_id != 1:
            return Suppress(f"auto-response {row.auto_response_id} is missing or invalid")
        recipients = json.loads(row.recipients)
        refusal = undeliverable_refusal(session, recipients[0])
        if refusal is not None:
            return Suppress(refusal.reason)
        ticket_row = ticket(session, row.ticket_id or 0)
        mail = customer_mail(session, row.article_id)
        params = json.loads(row.params or "{}")
        templates = templates_of(ctx)
        data = tag_data(session, ticket_row, mail, ctx)
        language = templates.language(customer_language(session, ticket_row.customer_user_id))
        try:
            context: dict[str, Any] = {**queue_texts(session, templates, ticket_row.queue_id, data)}
            context["language"] = language
            subject = templates.render(response.text1 or "", data, {"language": language}, as_html=False)
            body = templates.render_parts(response.text0 or "", response.content_type, data, context)
        except TemplateRejectedError as exc:
            raise RenderError(f"auto-response {response.id} ({response.name!r}): {exc}") from exc
        subject = build_subject(
            ticket_row.tn, " ".join(subject.split()), ctx.subject_style, action="new", cleanup=False
        )
        type_name = str(params.get("type", "auto reply"))
        return RenderedMail(
            sender=_sender(session, response, ticket_row.queue_id),
            to=(Address(recipients[0], str(params.get("to_name") or "")),),
            subject=subject,
            text=body.text,
            html=body.html,
            threading=Threading(
                ticket_id=ticket_row.id,
                in_reply_to=mail.message_id,
                references=mail.references,
                parent_thread_index=params.get("thread_index"),
            ),
            subject_action="new",
            auto_submitted=AUTO_REPLIED,
            store_article=StoreArticle(
                sender_type="system",
                history_type=HISTORY_TYPES.get(type_name, "Misc"),
                history_name=f"%%{recipients[0]}",
            ),
        )


def register(registry: RendererRegistry) -> None:
    """Add the auto-reply renderer."""
    registry.register(AutoReplyRenderer())
