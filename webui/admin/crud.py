"""A list / create / edit page set for one table, described by an Area (fields, columns and hooks)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from webui.access import admin_required
from webui.admin.common import stamp_change, stamp_new
from webui.admin.forms import Field, FormErrors, form_values, parse_form
from webui.db import db

Hook = Callable[[Session, Any, dict[str, Any], FormErrors], None]
Cell = Callable[[Session, Any], str]


def _no_hook(_session: Session, _row: Any, _values: dict[str, Any], _errors: FormErrors) -> None:
    return None


def _no_extra(_session: Session, _row: Any) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Area:
    """One admin area over a model: its fields, list columns and save hooks.

    `fields(session, row)` builds the form (row None when creating); posted values whose name is a
    model column are assigned, everything else is left to `after_save` (called after a flush, so the
    row has its id). `check` may add errors before anything is written. `extra(session, row)` adds
    template variables (e.g. a test result) and `extra_template` is included below the form.
    `preview(session, row, values)`, when set, answers the form's Preview button: template variables
    for extra_template, and nothing is saved.
    """

    name: str
    title: str
    singular: str
    model: Any
    fields: Callable[[Session, Any], Sequence[Field]]
    columns: Sequence[tuple[str, Cell]]
    order_by: Any
    audited: bool = True
    check: Hook = _no_hook
    after_save: Hook = _no_hook
    extra: Callable[[Session, Any], dict[str, Any]] = _no_extra
    values: Callable[[Session, Any], dict[str, Any]] = _no_extra
    extra_template: str | None = None
    preview: Callable[[Session, Any, dict[str, Any]], dict[str, Any]] | None = None

    def column_names(self) -> frozenset[str]:
        """The model's column names (assignable from the form)."""
        return frozenset(column.key for column in self.model.__table__.columns) - {"id"}


def register_area(bp: Blueprint, area: Area) -> None:
    """Add /<name>/ (list), /<name>/new and /<name>/<id> (edit) to the admin blueprint (_ in URLs: -)."""
    base = "/" + area.name.replace("_", "-")

    @admin_required
    def listing() -> str:
        session = db()
        rows = list(session.scalars(select(area.model).order_by(area.order_by)))
        table = [
            {"id": row.id, "cells": [cell(session, row) for _, cell in area.columns],
             "invalid": getattr(row, "valid_id", 1) != 1}
            for row in rows
        ]  # fmt: skip
        return render_template(
            "admin/list.html", title=area.title, area=area, headers=[h for h, _ in area.columns], rows=table
        )

    @admin_required
    def create() -> str | Response:
        return _form(area, None)

    @admin_required
    def edit(ident: int) -> str | Response:
        row = db().get(area.model, ident)
        if row is None:
            abort(404)
        return _form(area, row)

    bp.add_url_rule(f"{base}/", f"{area.name}_list", listing, methods=["GET"])
    bp.add_url_rule(f"{base}/new", f"{area.name}_new", create, methods=["GET", "POST"])
    bp.add_url_rule(f"{base}/<int:ident>", f"{area.name}_edit", edit, methods=["GET", "POST"])


def _form(area: Area, row: Any) -> str | Response:
    session = db()
    fields = area.fields(session, row)
    errors = FormErrors()
    extra = area.extra(session, row)
    if request.method == "POST" and area.preview is not None and request.form.get("action") == "preview":
        values, errors = parse_form(fields, request.form)
        extra.update(area.preview(session, row, values))
    elif request.method == "POST":
        values, errors = parse_form(fields, request.form)
        saved = _save(area, session, row, values, errors)
        if saved is not None:
            flash(f"{area.singular} saved.", "success")
            return redirect(url_for(f"admin.{area.name}_edit", ident=saved))
    elif row is not None:
        values = {**form_values(row, fields), **area.values(session, row)}
    else:
        values = {item.name: None for item in fields}
    status = 400 if errors else 200
    page = render_template(
        "admin/form.html", title=_title(area, row), area=area, row=row, fields=fields, values=values,
        errors=errors, **extra,
    )  # fmt: skip
    return page if status == 200 else (page, status)  # type: ignore[return-value]


def _title(area: Area, row: Any) -> str:
    if row is None:
        return f"New {area.singular.lower()}"
    label = getattr(row, "name", None) or getattr(row, "login", None) or getattr(row, "value0", None)
    return f"{area.singular} {label or row.id}"


def _save(area: Area, session: Session, row: Any, values: dict[str, Any], errors: FormErrors) -> int | None:
    """Validate, assign and commit; the row's id, or None (errors filled) when nothing was written."""
    area.check(session, row, values, errors)
    if errors:
        return None
    new = row is None
    if new:
        row = area.model()
    columns = area.column_names()
    for name, value in values.items():
        if name in columns:
            setattr(row, name, value)
    if area.audited:
        stamp_new(row) if new else stamp_change(row)
    if new:
        session.add(row)
    try:
        session.flush()
        area.after_save(session, row, values, errors)
        if errors:
            session.rollback()
            return None
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        errors["_form"] = f"not saved: the database refused it ({_short(exc)})"
        return None
    return int(row.id)


def _short(exc: IntegrityError) -> str:
    text = str(exc.orig).splitlines()[0] if exc.orig is not None else str(exc)
    return text[:200]
