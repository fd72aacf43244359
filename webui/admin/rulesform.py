"""The routing-rule form: condition and action rows to and from the rule dict shape router.dicts uses."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import yaml
from werkzeug.datastructures import MultiDict

from mailgate.pipeline.rulestore import row_to_rule
from router import RuleValidationError
from router.dicts import rule_to_dict
from router.yaml_io import SAFE_DUMPER, SAFE_LOADER
from schema.pipeline import RoutingRule

EMPTY_ROWS = 3
INTEGER = re.compile(r"-?\d+")


@dataclass
class RuleForm:
    """What the edit page shows: the rule's own settings and its condition and action rows."""

    name: str = ""
    enabled: bool = True
    stop_after_match: bool = False
    applies_to: str = "both"
    match: str = "all"
    description: str = ""
    conditions: list[dict[str, Any]] | None = None
    actions: list[dict[str, str]] | None = None

    def with_empty_rows(self) -> RuleForm:
        """The form with a few empty rows to add conditions and actions."""
        self.conditions = (self.conditions or []) + [{} for _ in range(EMPTY_ROWS)]
        self.actions = (self.actions or []) + [{} for _ in range(EMPTY_ROWS)]
        return self


def value_text(value: object) -> str:
    """An action value as the form shows it: lists in YAML flow style, booleans as true/false."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple, dict)):
        return yaml.safe_dump(
            list(value) if isinstance(value, tuple) else value, default_flow_style=True
        ).strip()
    return "" if value is None else str(value)


def value_from_text(text: str) -> object:
    """An action value from the form: [a, b] / {k: v} as YAML, true/false, whole numbers, else the text."""
    text = text.strip()
    if not text:
        return True
    if text[0] in "[{":
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError:
            return text  # the action's own validation names the problem
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    return int(text) if INTEGER.fullmatch(text) else text


def form_from_row(row: RoutingRule) -> RuleForm:
    """The form of a stored rule."""
    actions = [
        {"action": a["action"], "value": value_text(a.get("value", True))} for a in json.loads(row.actions)
    ]
    return RuleForm(
        name=row.name, enabled=bool(row.enabled), stop_after_match=bool(row.stop_after_match),
        applies_to=row.applies_to, match=row.match_mode, description=row.comments or "",
        conditions=json.loads(row.conditions), actions=actions,
    )  # fmt: skip


def form_from_post(form: MultiDict[str, str]) -> RuleForm:
    """The form as posted (rows without a field or action are dropped)."""
    conditions: list[dict[str, Any]] = []
    actions: list[dict[str, str]] = []
    for index in _indexes(form, "cond"):
        field, value = form.get(f"cond-{index}-field", "").strip(), form.get(f"cond-{index}-value", "")
        if field:
            conditions.append({"field": field, "operator": form.get(f"cond-{index}-operator", "").strip(),
                               "value": value, "case_sensitive": f"cond-{index}-case" in form})  # fmt: skip
    for index in _indexes(form, "act"):
        action = form.get(f"act-{index}-action", "").strip()
        if action:
            actions.append({"action": action, "value": form.get(f"act-{index}-value", "")})
    return RuleForm(
        name=form.get("name", "").strip(), enabled="enabled" in form,
        stop_after_match="stop_after_match" in form,
        applies_to=form.get("applies_to", "both"), match=form.get("match", "all"),
        description=form.get("description", "").strip(), conditions=conditions, actions=actions,
    )  # fmt: skip


def _indexes(form: MultiDict[str, str], prefix: str) -> list[int]:
    found = {int(key.split("-")[1]) for key in form if re.fullmatch(rf"{prefix}-\d+-\w+", key)}
    return sorted(found)


def rule_dict(form: RuleForm, operators_without_value: frozenset[str]) -> dict[str, Any]:
    """The rule in router.dicts' shape (what rule_from_dict and compile_rules check)."""
    conditions = []
    for row in form.conditions or []:
        item: dict[str, Any] = {"field": row["field"], "operator": row["operator"]}
        if row["operator"] not in operators_without_value or row.get("value"):
            item["value"] = row.get("value", "")
        if row.get("case_sensitive"):
            item["case_sensitive"] = True
        conditions.append(item)
    data: dict[str, Any] = {
        "name": form.name, "enabled": form.enabled, "stop_after_match": form.stop_after_match,
        "applies_to": form.applies_to, "match": form.match, "conditions": conditions,
    }  # fmt: skip
    actions = form.actions or []
    data["actions"] = [{"action": a["action"], "value": value_from_text(a["value"])} for a in actions]
    if form.description:
        data["description"] = form.description
    return data


def rule_yaml(row: RoutingRule | None) -> str:
    """One rule as YAML in the shape `mailgate rules export` writes (without id and position)."""
    if row is None:
        return ""
    data = rule_to_dict(row_to_rule(row))
    for key in ("id", "position"):
        data.pop(key, None)
    return yaml.dump(data, Dumper=SAFE_DUMPER, sort_keys=False, allow_unicode=True, default_flow_style=False)


def rule_from_yaml(text: str) -> dict[str, Any]:
    """The rule mapping of the YAML editor; id and position are the page's, not the text's."""
    try:
        data = yaml.load(text, Loader=SAFE_LOADER)
    except yaml.YAMLError as error:
        raise RuleValidationError([f"not valid YAML: {error}"]) from None
    if not isinstance(data, dict):
        raise RuleValidationError(["the YAML must be one rule: a mapping with name, conditions, actions"])
    return {key: value for key, value in data.items() if key not in ("id", "position")}
