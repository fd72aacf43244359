"""Declarative form fields for the admin pages: what to show, how to read and check a posted value."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import MultiDict

VALID_CHOICES: tuple[tuple[str, str], ...] = (("1", "valid"), ("2", "invalid"), ("3", "invalid-temporarily"))
"""Znuny's valid table."""

Choices = Sequence[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class Field:
    """One form field: kind is text, email, int, textarea, select, multi, checkbox or password."""

    name: str
    label: str
    kind: str = "text"
    required: bool = False
    choices: Choices = ()
    help: str = ""
    maxlength: int | None = 200
    minimum: int | None = None
    maximum: int | None = None
    rows: int = 8
    numeric: bool = False  # a select whose values are ids: read as int
    attrs: Mapping[str, str] = field(default_factory=dict)


class FormErrors(dict[str, str]):
    """Field name -> problem; empty when the form is fine."""


def parse_form(fields: Sequence[Field], form: MultiDict[str, str]) -> tuple[dict[str, Any], FormErrors]:
    """The typed values of the posted form and the problems found (values are kept even if wrong)."""
    values: dict[str, Any] = {}
    errors = FormErrors()
    for item in fields:
        values[item.name], problem = _read(item, form)
        if problem:
            errors[item.name] = problem
    return values, errors


def _read(item: Field, form: MultiDict[str, str]) -> tuple[Any, str | None]:
    if item.kind == "checkbox":
        return item.name in form, None
    if item.kind == "multi":
        allowed = {value for value, _ in item.choices}
        picked = [value for value in form.getlist(item.name) if value in allowed]
        return picked, None
    raw = form.get(item.name, "")
    text = raw if item.kind in ("textarea", "password") else raw.strip()
    if not text:
        return (None if item.kind in ("int", "select") else ""), (
            "required" if item.required and item.kind != "password" else None
        )
    if item.maxlength is not None and len(text) > item.maxlength and item.kind != "textarea":
        return text, f"at most {item.maxlength} characters"
    if item.kind == "int":
        return _integer(item, text)
    if item.kind == "select" and text not in {value for value, _ in item.choices}:
        return text, "not one of the choices"
    if item.kind == "select" and item.numeric:
        return int(text), None
    if item.kind == "email" and ("@" not in text or any(c.isspace() for c in text)):
        return text, "not a mail address"
    return text, None


def _integer(item: Field, text: str) -> tuple[Any, str | None]:
    try:
        number = int(text)
    except ValueError:
        return text, "a whole number, please"
    if item.minimum is not None and number < item.minimum:
        return text, f"at least {item.minimum}"
    if item.maximum is not None and number > item.maximum:
        return text, f"at most {item.maximum}"
    return number, None


def as_int(value: Any, default: int = 0) -> int:
    """A parsed select/int value as int (None or '' -> default)."""
    return default if value in (None, "") else int(value)


def form_values(row: object, fields: Sequence[Field]) -> dict[str, Any]:
    """The current values of a model row for the form (select values as text, passwords empty)."""
    values: dict[str, Any] = {}
    for item in fields:
        value = getattr(row, item.name, None)
        if item.kind == "password":
            value = ""
        elif item.kind == "select" and value is not None:
            value = str(value)
        elif item.kind == "checkbox":
            value = bool(value)
        values[item.name] = value
    return values


def id_select(name: str, label: str, choices: Choices, *, required: bool = True, help: str = "") -> Field:
    """A select of row ids (read as int)."""
    return Field(name, label, "select", required=required, numeric=True, choices=choices, help=help)


def valid_select() -> Field:
    """Znuny's validity select (valid_id)."""
    return id_select("valid_id", "Validity", VALID_CHOICES)
