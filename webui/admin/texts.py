"""Admin: auto-responses and texts (standard_template, salutation, signature) with a Preview.

The preview is rendered by the notifier on a sample ticket; a text that cannot render is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from schema import AutoResponse, AutoResponseType, Salutation, Signature, StandardTemplate
from webui.admin import bp
from webui.admin.common import address_choices, queue_choices
from webui.admin.crud import Area, register_area
from webui.admin.forms import Field, FormErrors, id_select, valid_select
from webui.admin.preview import check_renders, preview_text

CONTENT_TYPES = (("text/plain; charset=utf-8", "plain text"), ("text/html; charset=utf-8", "HTML"))
TEMPLATE_TYPES = tuple((name, name) for name in ("Answer", "Create", "Email", "Forward", "Note", "PhoneCall"))
TAGS_HELP = (
    "Jinja ({{ ticket.number }}, {{ customer.realname }}, {{ salutation }}) "
    "or Znuny tags (<OTRS_CUSTOMER_SUBJECT[20]>)"
)


def _preview_fields(session: Session) -> list[Field]:
    return [
        id_select("preview_queue", "Preview: sample ticket in queue", queue_choices(session), required=False),
        Field("preview_ticket", "Preview: or a real ticket (id)", "int", minimum=1),
    ]


def _unique_name(model: Any) -> Callable[[Session, Any, dict[str, Any], FormErrors], None]:
    def check(session: Session, row: Any, values: dict[str, Any], errors: FormErrors) -> None:
        clash = session.scalar(
            select(model.id).where(func.lower(model.name) == (values["name"] or "").lower())
        )
        if clash is not None and (row is None or clash != row.id):
            errors["name"] = "this name is taken"
        text_key = "text0" if model is AutoResponse else "text"
        problem = check_renders(values.get(text_key) or "", values.get("content_type"), values.get("text1"))
        if problem:
            errors[text_key] = f"cannot render: {problem}"

    return check


def response_fields(session: Session, _row: Any) -> list[Field]:
    """The auto-response form (Znuny: text1 is the subject, text0 the body)."""
    types = [
        (str(t.id), t.name) for t in session.scalars(select(AutoResponseType).order_by(AutoResponseType.id))
    ]
    return [
        Field("name", "Name", required=True),
        id_select("type_id", "Type", types),
        id_select("system_address_id", "Sent from", address_choices(session)),
        Field("text1", "Subject", required=True, maxlength=6000, help="the ticket number is put in front"),
        Field("text0", "Body", "textarea", required=True, maxlength=6000, rows=12, help=TAGS_HELP),
        Field("content_type", "Format", "select", required=True, choices=CONTENT_TYPES),
        valid_select(),
        Field("comments", "Comment", maxlength=250),
        *_preview_fields(session),
    ]


def _preview_response(session: Session, _row: Any, values: dict[str, Any]) -> dict[str, Any]:
    return {"preview": preview_text(session, values.get("text0") or "", values.get("content_type"),
                                    subject=values.get("text1") or "", queue_id=values.get("preview_queue"),
                                    ticket_id=values.get("preview_ticket"))}  # fmt: skip


def _preview_text(session: Session, _row: Any, values: dict[str, Any]) -> dict[str, Any]:
    return {"preview": preview_text(session, values.get("text") or "", values.get("content_type"),
                                    queue_id=values.get("preview_queue"),
                                    ticket_id=values.get("preview_ticket"))}  # fmt: skip


def _type_name(session: Session, row: AutoResponse) -> str:
    kind = session.get(AutoResponseType, row.type_id)
    return kind.name if kind is not None else str(row.type_id)


register_area(
    bp,
    Area(
        name="auto_responses", title="Auto-responses", singular="Auto-response", model=AutoResponse,
        fields=response_fields,
        columns=(("Name", lambda _s, r: r.name), ("Type", _type_name),
                 ("Subject", lambda _s, r: r.text1 or "")),
        order_by=AutoResponse.name, check=_unique_name(AutoResponse), preview=_preview_response,
        extra_template="admin/_preview.html",
    ),
)  # fmt: skip


def _text_fields(extra: list[Field]) -> Callable[[Session, Any], list[Field]]:
    def fields(session: Session, _row: Any) -> list[Field]:
        return [
            Field("name", "Name", required=True),
            *extra,
            Field("text", "Text", "textarea", required=True, maxlength=None, rows=12, help=TAGS_HELP),
            Field("content_type", "Format", "select", required=True, choices=CONTENT_TYPES),
            valid_select(),
            Field("comments", "Comment", maxlength=250),
            *_preview_fields(session),
        ]

    return fields


for _name, _title, _singular, _model, _extra in (
    ("templates", "Templates", "Template", StandardTemplate,
     [Field("template_type", "Used for", "select", required=True, choices=TEMPLATE_TYPES)]),
    ("salutations", "Salutations", "Salutation", Salutation, []),
    ("signatures", "Signatures", "Signature", Signature, []),
):  # fmt: skip
    register_area(
        bp,
        Area(
            name=_name, title=_title, singular=_singular, model=_model, fields=_text_fields(_extra),
            columns=(("Name", lambda _s, r: r.name), ("Comment", lambda _s, r: r.comments or "")),
            order_by=_model.name, check=_unique_name(_model), preview=_preview_text,
            extra_template="admin/_preview.html",
        ),
    )  # fmt: skip
