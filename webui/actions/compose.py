"""Writing on a ticket: reply to the customer, internal note, forward an article (with file uploads)."""

from __future__ import annotations

from email.utils import getaddresses

from flask import Response, render_template, request
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from mailgate.outbound.lookup import Mailbox, customer_mailbox, last_customer_mail
from mailgate.tickets.changes import TicketChangeError, set_state
from mailgate.tickets.forward import forward
from mailgate.tickets.reply import ReplyAttachment, ReplyError, reply
from mailgate.tickets.templates import canned_responses
from schema import Article, ArticleDataMime, Ticket
from webui.access import current_agent, login_required
from webui.actions import bp
from webui.actions.common import done, fqdn, now, pending_until, secret, writable_ticket
from webui.db import db

Page = str | tuple[str, int]


class FormError(ValueError):
    """A field the agent must correct; the form is shown again with the message."""


def addresses(value: str, *, required: bool = False) -> list[Mailbox]:
    """Mailboxes from a To/Cc field ('Name <a@b>, c@d'); FormError for anything not an address."""
    found = []
    for name, email in getaddresses([value.replace(";", ",")]):
        email = email.strip()
        if not email:
            continue
        if "@" not in email or " " in email or email.startswith("@") or email.endswith("@"):
            raise FormError(f"not a mail address: {email}")
        found.append(Mailbox(email, name.strip()))
    if required and not found:
        raise FormError("give at least one recipient")
    return found


def uploads() -> list[ReplyAttachment]:
    """The files the agent attached (empty file inputs are skipped)."""
    files = []
    for item in request.files.getlist("attachments"):
        if not item.filename:
            continue
        name = item.filename.replace("\\", "/").rsplit("/", 1)[-1] or "attachment"
        files.append(ReplyAttachment(name, item.read(), item.mimetype or "application/octet-stream"))
    return files


def _quote(ticket: Ticket) -> str:
    answered = last_customer_mail(db(), ticket.id)
    if answered is None:
        return ""
    body = db().scalar(
        select(ArticleDataMime.a_body).where(ArticleDataMime.article_id == answered.article_id)
    )
    return "\n".join("> " + line for line in (body or "").splitlines()[:200])


def _form(ticket: Ticket, mode: str, status: int = 200, error: str = "", **fields: object) -> Page:
    agent = current_agent()
    templates = canned_responses(db(), ticket.id, agent.id) if mode == "reply" else []
    chosen = request.args.get("template", type=int)
    text = fields.pop("text", None)
    if text is None:
        picked = next((item.text for item in templates if item.id == chosen), "")
        quote = _quote(ticket) if mode == "reply" else ""
        text = picked + ("\n\n" + quote if quote else "")
    page = render_template(
        "actions/compose.html",
        title=f"{mode.capitalize()} · [{ticket.tn}]",
        ticket=ticket,
        mode=mode,
        templates=templates,
        chosen=chosen,
        text=text,
        error=error,
        **fields,
    )
    return (page, status) if status != 200 else page


def _customer(ticket: Ticket) -> str:
    box = customer_mailbox(db(), ticket)
    if box is None:
        return ""
    return f"{box.name} <{box.email}>" if box.name else box.email


@bp.get("/tickets/<int:ticket_id>/reply")
@login_required
def reply_form(ticket_id: int) -> Page:
    """The reply form: recipients, text (a canned response inserted), attachments."""
    ticket = writable_ticket(ticket_id)
    return _form(ticket, "reply", to=_customer(ticket), cc="")


@bp.post("/tickets/<int:ticket_id>/reply")
@login_required
def reply_post(ticket_id: int) -> Page | Response | BaseResponse:
    """Store the answer (mailgate.tickets.reply) and queue it for sending."""
    ticket = writable_ticket(ticket_id)
    form = request.form
    text = form.get("text", "")
    try:
        to = addresses(form.get("to", ""), required=True)
        cc = addresses(form.get("cc", ""))
        result = reply(
            db(), ticket_id, current_agent().id, text, uploads(), False,
            now=now(), secret=secret(), fqdn=fqdn(), to=to, cc=cc,
        )  # fmt: skip (reply() keeps the SLA current; set_state refreshes again if the state changes)
        next_state = form.get("next_state_id", type=int)
        if next_state is not None:  # Znuny's compose screen: the answer sets the next state (default open)
            set_state(db(), ticket_id, current_agent().id, next_state, now(), pending_until())
    except (FormError, ReplyError, TicketChangeError) as error:
        db().rollback()
        return _form(
            ticket, "reply", 400, str(error), text=text, to=form.get("to", ""), cc=form.get("cc", "")
        )
    return done(ticket_id, f"Answer queued for sending (article {result.article_id}).")


@bp.get("/tickets/<int:ticket_id>/note")
@login_required
def note_form(ticket_id: int) -> Page:
    """The internal note form."""
    return _form(writable_ticket(ticket_id), "note")


@bp.post("/tickets/<int:ticket_id>/note")
@login_required
def note_post(ticket_id: int) -> Page | Response | BaseResponse:
    """Store an internal note (never sent to the customer) and set the next state if one was chosen."""
    ticket = writable_ticket(ticket_id)
    text = request.form.get("text", "")
    next_state = request.form.get("next_state_id", type=int)
    try:
        reply(
            db(), ticket_id, current_agent().id, text, uploads(), True,
            now=now(), secret=secret(), fqdn=fqdn(),
        )  # fmt: skip
        if next_state is not None:  # Znuny's note screen: the state stays unless the agent picks one
            set_state(db(), ticket_id, current_agent().id, next_state, now(), pending_until())
    except (ReplyError, TicketChangeError) as error:
        db().rollback()
        return _form(ticket, "note", 400, str(error), text=text, chosen_state=next_state)
    return done(ticket_id, "Note added.")


def _forwarded_article(ticket: Ticket) -> int:
    wanted = request.values.get("article", type=int)
    if wanted is not None:
        article = db().get(Article, wanted)
        if article is not None and article.ticket_id == ticket.id:
            return article.id
    latest = db().scalar(select(Article.id).where(Article.ticket_id == ticket.id).order_by(Article.id.desc()))
    return int(latest or 0)


@bp.get("/tickets/<int:ticket_id>/forward")
@login_required
def forward_form(ticket_id: int) -> Page:
    """The forward form for one article (?article=, default the newest)."""
    ticket = writable_ticket(ticket_id)
    return _form(ticket, "forward", to="", article_id=_forwarded_article(ticket), text="")


@bp.post("/tickets/<int:ticket_id>/forward")
@login_required
def forward_post(ticket_id: int) -> Page | Response | BaseResponse:
    """Forward the article to the given addresses: an outbound article and its outbox row."""
    ticket = writable_ticket(ticket_id)
    form = request.form
    article_id = _forwarded_article(ticket)
    text = form.get("text", "")
    try:
        to = addresses(form.get("to", ""), required=True)
        forward(
            db(), ticket_id, article_id, current_agent().id, to, text, uploads(),
            now=now(), secret=secret(), fqdn=fqdn(),
        )  # fmt: skip
    except (FormError, ReplyError) as error:
        db().rollback()
        return _form(
            ticket, "forward", 400, str(error), to=form.get("to", ""), article_id=article_id, text=text
        )
    return done(ticket_id, "Forward queued for sending.")
