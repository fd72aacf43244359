"""Renderer for kind 'agent_notification': a subscribed agent hears of a new ticket or a follow-up.

The mail carries the customer's text and, as Reply-To, a signed agent reply address
(``support+a-<ticket>-<agent>-<day>-<sig>@...``, mailgate.tokens): the agent answers from
their own mail client and the answer reaches the customer (agent mail, mailgate/agentmail).
It is sent from the queue's system address with ``Auto-Submitted: auto-generated`` (RFC 3834:
a notification answers no mail), subject "[Ticket#<tn>] ...". The texts are templates named
``agent_notification`` (subject, txt, optional html), by the agent's UserLanguage; English and
German are built in, admins may override them per queue and language (notifier/templates.py).
"""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailgate.outbound.lookup import ticket
from mailgate.tickets.lookups import VALID
from mailgate.tokens import TokenError, issue_agent_reply_address
from notifier.autoreply import customer_mail, tag_data, templates_of
from notifier.batchcache import cached_queue_sender
from notifier.render import (
    AUTO_GENERATED,
    Address,
    RenderContext,
    RenderedMail,
    RendererRegistry,
    RenderError,
    Suppress,
    Threading,
)
from notifier.templates import MailTemplates, TagData, TemplateRejectedError, text_to_html
from schema import Queue, User, UserPreference
from schema.agents import USER_LANGUAGE_KEY
from schema.outbox import OutboxKind, OutboxMail

TEMPLATE = "agent_notification"
EVENT_HEADER = "X-Mailgate-Notification"

_EN_SUBJECT = (
    "{% if event == 'new_ticket' %}New ticket{% elif event == 'rejected' %}Rejected follow-up"
    "{% else %}Follow-up{% endif %}: <OTRS_CUSTOMER_SUBJECT[60]>"
)
_EN_TEXT = """Hi {{ recipient.first_name }},

{% if event == 'new_ticket' -%}
there is a new ticket in "{{ queue.name }}".
{%- elif event == 'rejected' -%}
a follow-up to closed ticket {{ ticket.number }} in "{{ queue.name }}" was rejected.
{%- else -%}
a follow-up arrived for ticket {{ ticket.number }} in "{{ queue.name }}".
{%- endif %}

{{ article.sender_name or article.sender }} <{{ article.sender }}> wrote:
{{ article.subject }}

{{ article.body }}

--
Answer the customer by replying to this mail. Start your answer with #note for an internal
note instead, or put #close or #pending on its first line to change the ticket's state.
Ticket {{ ticket.number }} ({{ ticket.state }}, {{ ticket.priority }}): {{ ticket.title }}
"""
_DE_SUBJECT = (
    "{% if event == 'new_ticket' %}Neues Ticket{% elif event == 'rejected' %}Abgewiesene Nachfrage"
    "{% else %}Nachfrage{% endif %}: <OTRS_CUSTOMER_SUBJECT[60]>"
)
_DE_TEXT = """Hallo {{ recipient.first_name }},

{% if event == 'new_ticket' -%}
es gibt ein neues Ticket in "{{ queue.name }}".
{%- elif event == 'rejected' -%}
eine Nachfrage zum geschlossenen Ticket {{ ticket.number }} in "{{ queue.name }}" wurde abgewiesen.
{%- else -%}
zu Ticket {{ ticket.number }} in "{{ queue.name }}" ist eine Nachfrage eingegangen.
{%- endif %}

{{ article.sender_name or article.sender }} <{{ article.sender }}> schrieb:
{{ article.subject }}

{{ article.body }}

--
Antworten Sie dem Kunden, indem Sie auf diese Mail antworten. Beginnen Sie mit #note fuer eine
interne Notiz, oder schreiben Sie #close oder #pending in die erste Zeile, um den Status zu aendern.
Ticket {{ ticket.number }} ({{ ticket.state }}, {{ ticket.priority }}): {{ ticket.title }}
"""
BUILTIN_TEMPLATES = {
    (TEMPLATE, "en", "subject"): _EN_SUBJECT,
    (TEMPLATE, "en", "txt"): _EN_TEXT,
    (TEMPLATE, "de", "subject"): _DE_SUBJECT,
    (TEMPLATE, "de", "txt"): _DE_TEXT,
}


def default_templates(directory: str | None = None) -> MailTemplates:
    """The template set with the built-in notification texts (and an admin's folder over them)."""
    return MailTemplates(directory, builtins=BUILTIN_TEMPLATES)


def _language(session: Session, user_id: int, given: object) -> str | None:
    if isinstance(given, str) and given:
        return given
    value = session.scalar(
        select(UserPreference.preferences_value)
        .where(UserPreference.user_id == user_id, UserPreference.preferences_key == USER_LANGUAGE_KEY)
        .limit(1)
    )
    return str(value) if value else None


class AgentNotificationRenderer:
    """New-ticket and follow-up notifications to one subscribed agent."""

    kind = OutboxKind.AGENT_NOTIFICATION.value

    def render(self, session: Session, row: OutboxMail, ctx: RenderContext) -> RenderedMail | Suppress:
        """The notification; Suppress if the agent is gone or invalid by now."""
        agent = session.get(User, row.user_id) if row.user_id else None
        if agent is None or agent.valid_id != VALID:
            return Suppress(f"agent {row.user_id} is missing or invalid")
        ticket_row = ticket(session, row.ticket_id or 0)
        mail = customer_mail(session, row.article_id)
        params = json.loads(row.params or "{}")
        recipient_email = json.loads(row.recipients)[0]
        recipient = {"UserID": str(agent.id), "UserLogin": agent.login, "UserFirstname": agent.first_name,
                     "UserLastname": agent.last_name, "UserEmail": recipient_email}  # fmt: skip
        data = tag_data(session, ticket_row, mail, ctx, recipient=recipient)
        language = _language(session, agent.id, params.get("language"))
        queue = session.get(Queue, ticket_row.queue_id)
        subject, text, html = self._texts(
            templates_of(ctx), data, str(params.get("event", "")), language, queue
        )
        sender = cached_queue_sender(session, ticket_row.queue_id)
        try:
            reply_to = issue_agent_reply_address(
                ctx.secret, sender.email, ticket_row.id, agent.id, ctx.now().date()
            )
        except TokenError as exc:
            raise RenderError(f"outbox {row.id}: {exc}") from exc
        return RenderedMail(
            sender=Address(sender.email, sender.name),
            to=(Address(recipient_email, f"{agent.first_name} {agent.last_name}".strip()),),
            reply_to=Address(reply_to, sender.name),
            subject=" ".join(subject.split()),
            text=text,
            html=html,
            threading=Threading(ticket_id=ticket_row.id, tn=ticket_row.tn),
            subject_action="new",
            auto_submitted=AUTO_GENERATED,
            headers=((EVENT_HEADER, str(params.get("event", ""))),),
        )

    @staticmethod
    def _texts(
        templates: MailTemplates, data: TagData, event: str, language: str | None, queue: Queue | None
    ) -> tuple[str, str, str]:
        queue_name = queue.name if queue is not None else None
        extra = {"event": event}
        try:
            subject = templates.render(
                templates.source(TEMPLATE, "subject", language=language, queue=queue_name),
                data,
                extra,
                as_html=False,
            )
            text = templates.render(
                templates.source(TEMPLATE, "txt", language=language, queue=queue_name),
                data,
                extra,
                as_html=False,
            )
            try:
                html_source = templates.source(TEMPLATE, "html", language=language, queue=queue_name)
            except TemplateRejectedError:
                return subject, text, text_to_html(text)
            return subject, text, templates.render(html_source, data, extra, as_html=True)
        except TemplateRejectedError as exc:
            raise RenderError(f"agent notification template: {exc}") from exc


def register(registry: RendererRegistry) -> None:
    """Add the agent notification renderer."""
    registry.register(AgentNotificationRenderer())
