"""Admin: routing rules (mailgate_rule) — list, reorder, edit, enable/disable, delete.

A rule is stored only when the whole rule set, with it in place, passes the router's own validation
(router.dicts.rule_from_dict, then router.compile_rules over mailgate's rules and Znuny's postmaster
filters, as the pipeline loads them), so the UI can never store a rule the router rejects.
Every change moves change_time past the newest stored one, so the pipeline's configuration
fingerprint changes and the next mail is routed with the new rules.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from mailgate.pipeline.rulestore import load_rules, row_to_rule
from router import Registries, Rule, RuleValidationError, compile_rules
from router.dicts import action_to_dict, condition_to_dict, rule_from_dict
from schema.pipeline import RoutingRule
from webui.access import admin_required
from webui.admin import bp
from webui.admin.rulesform import (
    RuleForm,
    form_from_post,
    form_from_row,
    rule_dict,
    rule_from_yaml,
    rule_yaml,
)
from webui.db import db

POSITION_STEP = 10


def change_time(session: Session) -> datetime:
    """Now, but always after the newest stored change_time (the configuration fingerprint must move)."""
    current = datetime.now(UTC).replace(tzinfo=None)
    newest = session.scalar(select(func.max(RoutingRule.change_time)))
    return max(current, newest + timedelta(microseconds=1)) if newest is not None else current


def _registries() -> Registries:
    return Registries()


def _without_value(registries: Registries) -> frozenset[str]:
    return frozenset(op.name for op in registries.operators if not op.takes_value)


def validate(session: Session, data: dict[str, Any], rule_id: int | None) -> Rule:
    """The rule if the router accepts it in the stored rule set; RuleValidationError otherwise."""
    rule = rule_from_dict(data, where="rule")
    loaded = [item for item in load_rules(session) if rule_id is None or item.id != rule_id]
    problems: list[str] = []
    clash = session.scalar(select(RoutingRule.id).where(func.lower(RoutingRule.name) == rule.name.lower()))
    if clash is not None and clash != rule_id:
        problems.append(f"rule {rule.name!r}: another rule has this name")
    try:
        compile_rules([*loaded, rule], registries=_registries())
    except RuleValidationError as error:
        problems.extend(error.problems)
    if problems:
        raise RuleValidationError(problems)
    return rule


def _store(session: Session, row: RoutingRule, rule: Rule) -> None:
    row.name = rule.name
    row.enabled = int(rule.enabled)
    row.stop_after_match = int(rule.stop_after_match)
    row.applies_to = rule.applies_to
    row.match_mode = rule.match
    row.conditions = json.dumps([condition_to_dict(item) for item in rule.conditions])
    row.actions = json.dumps([action_to_dict(item) for item in rule.actions])
    row.comments = rule.description or None
    row.change_time = change_time(session)


def _ordered(session: Session) -> list[RoutingRule]:
    return list(session.scalars(select(RoutingRule).order_by(RoutingRule.position, RoutingRule.id)))


def _renumber(session: Session, rows: list[RoutingRule]) -> None:
    """Positions 10, 20, 30... in this order, all in the caller's (one) transaction."""
    stamp = change_time(session)
    for index, row in enumerate(rows, start=1):
        if row.position != index * POSITION_STEP:
            row.position = index * POSITION_STEP
            row.change_time = stamp


def _row_or_404(rule_id: int) -> RoutingRule:
    row = db().get(RoutingRule, rule_id)
    if row is None:
        abort(404)
    return row


@bp.get("/rules/")
@admin_required
def rules_list() -> str:
    """The rules in the order the router tries them."""
    rows = _ordered(db())
    summaries = {row.id: _summary(row) for row in rows}
    return render_template("admin/rules.html", title="Routing rules", rows=rows, summaries=summaries)


def _summary(row: RoutingRule) -> dict[str, list[str]]:
    conditions = [
        f"{c['field']} {c['operator']}" + (f" {c['value']!r}" if "value" in c else "")
        for c in json.loads(row.conditions)
    ]
    actions = [f"{a['action']}: {a.get('value')}" for a in json.loads(row.actions)]
    return {"conditions": conditions, "actions": actions}


@bp.route("/rules/new", methods=["GET", "POST"])
@admin_required
def rules_new() -> str | Response | tuple[str, int]:
    """A new rule, tried after the existing ones."""
    return _edit(None)


@bp.route("/rules/<int:rule_id>", methods=["GET", "POST"])
@admin_required
def rules_edit(rule_id: int) -> str | Response | tuple[str, int]:
    """Edit one rule's settings, conditions and actions."""
    return _edit(_row_or_404(rule_id))


def _posted_rule(registries: Registries) -> dict[str, Any]:
    if "yaml" in request.form:
        return rule_from_yaml(request.form["yaml"])
    return rule_dict(form_from_post(request.form), _without_value(registries))


def _edit(row: RoutingRule | None) -> str | Response | tuple[str, int]:
    session = db()
    registries = _registries()
    problems: list[str] = []
    yaml_text = rule_yaml(row)
    form = form_from_row(row) if row is not None else RuleForm()
    if request.method == "POST":
        if "yaml" in request.form:
            yaml_text = request.form["yaml"]
        else:
            form = form_from_post(request.form)
        try:
            rule = validate(session, _posted_rule(registries), None if row is None else row.id)
        except RuleValidationError as error:
            problems = list(error.problems)
        else:
            saved = _save(session, row, rule)
            flash(f"Rule {rule.name!r} saved.", "success")
            return redirect(url_for("admin.rules_edit", rule_id=saved))
    page = render_template(
        "admin/rule_edit.html", title=f"Rule {row.name}" if row else "New rule", row=row,
        form=form.with_empty_rows(), problems=problems, yaml_text=yaml_text, yaml_open="yaml" in request.form,
        fields=registries.fields.names(), operators=registries.operators.names(),
        actions=registries.actions.names(),
    )  # fmt: skip
    return (page, 400) if problems else page


def _save(session: Session, row: RoutingRule | None, rule: Rule) -> int:
    if row is None:
        last = session.scalar(select(func.max(RoutingRule.position))) or 0
        row = RoutingRule(position=last + POSITION_STEP, create_time=change_time(session))
        session.add(row)
    _store(session, row, rule)
    session.commit()
    return row.id


@bp.post("/rules/<int:rule_id>/move")
@admin_required
def rules_move(rule_id: int) -> Response:
    """Move a rule one place up or down (every position rewritten in one transaction)."""
    session = db()
    rows = _ordered(session)
    index = next((i for i, row in enumerate(rows) if row.id == rule_id), None)
    if index is None:
        abort(404)
    other = index - 1 if request.form.get("direction") == "up" else index + 1
    if 0 <= other < len(rows):
        rows[index], rows[other] = rows[other], rows[index]
        _renumber(session, rows)
        session.commit()
    return redirect(url_for("admin.rules_list"))


@bp.post("/rules/order")
@admin_required
def rules_order() -> Response | tuple[str, int]:
    """Put all rules in the posted order (ids, comma-separated; drag and drop sends this)."""
    session = db()
    rows = {row.id: row for row in _ordered(session)}
    try:
        wanted = [int(item) for item in request.form.get("order", "").split(",") if item.strip()]
    except ValueError:
        wanted = []
    if sorted(wanted) != sorted(rows):
        return render_template("error.html", title="Order not saved",
                               message="The order must name every rule exactly once."), 400  # fmt: skip
    _renumber(session, [rows[ident] for ident in wanted])
    session.commit()
    return redirect(url_for("admin.rules_list"))


@bp.post("/rules/<int:rule_id>/enabled")
@admin_required
def rules_enable(rule_id: int) -> Response:
    """Enable (enabled=1) or disable (enabled=0) a rule."""
    row = _row_or_404(rule_id)
    row.enabled = 1 if request.form.get("enabled") == "1" else 0
    row.change_time = change_time(db())
    db().commit()
    flash(f"Rule {row.name!r} {'enabled' if row.enabled else 'disabled'}.", "success")
    return redirect(url_for("admin.rules_list"))


@bp.post("/rules/<int:rule_id>/delete")
@admin_required
def rules_delete(rule_id: int) -> Response:
    """Delete a rule."""
    row = _row_or_404(rule_id)
    name = row.name
    db().delete(row)
    db().commit()
    flash(f"Rule {name!r} deleted.", "success")
    return redirect(url_for("admin.rules_list"))


@bp.get("/rules/export.yaml")
@admin_required
def rules_export() -> Response:
    """The rules as `mailgate rules export` writes them."""
    from router.yaml_io import dump_rules

    text = dump_rules([row_to_rule(row) for row in _ordered(db())])
    return Response(text, mimetype="application/yaml",
                    headers={"Content-Disposition": 'attachment; filename="rules.yaml"'})  # fmt: skip
