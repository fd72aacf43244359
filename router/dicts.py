"""Rules as plain dicts: the shape YAML files and the database (conditions and actions as JSON) use."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, cast

from router.errors import RuleValidationError
from router.rules import APPLIES_TO, MATCH_MODES, Action, AppliesTo, Condition, MatchMode, Rule

RULE_KEYS: Final = (
    "id",
    "name",
    "position",
    "enabled",
    "stop_after_match",
    "applies_to",
    "match",
    "conditions",
    "actions",
    "description",
)
CONDITION_KEYS: Final = ("field", "operator", "value", "case_sensitive")
ACTION_KEYS: Final = ("action", "value")


def condition_to_dict(condition: Condition) -> dict[str, Any]:
    """A condition as a dict; value and case_sensitive only when they say something."""
    data: dict[str, Any] = {"field": condition.field, "operator": condition.operator}
    if condition.value is not None:
        data["value"] = condition.value
    if condition.case_sensitive:
        data["case_sensitive"] = True
    return data


def action_to_dict(action: Action) -> dict[str, Any]:
    """An action as a dict (tuples become lists so YAML and JSON can hold them)."""
    value = list(action.value) if isinstance(action.value, tuple) else action.value
    return {"action": action.action, "value": value}


def rule_to_dict(rule: Rule) -> dict[str, Any]:
    """A rule as a dict of plain values, keys in a stable order."""
    data: dict[str, Any] = {} if rule.id is None else {"id": rule.id}
    data.update(
        name=rule.name,
        position=rule.position,
        enabled=rule.enabled,
        stop_after_match=rule.stop_after_match,
        applies_to=rule.applies_to,
        match=rule.match,
        conditions=[condition_to_dict(condition) for condition in rule.conditions],
        actions=[action_to_dict(action) for action in rule.actions],
    )
    if rule.description:
        data["description"] = rule.description
    return data


class _Problems:
    """Collects the problems found in one rule's dict, each prefixed with where it is."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.items: list[str] = []

    def add(self, message: str) -> None:
        """Record a problem."""
        self.items.append(f"{self.where}: {message}")

    def expect(self, data: Mapping[str, Any], key: str, kinds: type | tuple[type, ...], label: str) -> None:
        """Record a problem when data[key] is present but not of the expected kind."""
        value = data.get(key)
        if key in data and (
            not isinstance(value, kinds) or (isinstance(value, bool) and bool not in _as_tuple(kinds))
        ):
            self.add(f"{label} must be {_kind_names(kinds)}, got {value!r}")

    def unknown_keys(self, data: Mapping[str, Any], allowed: tuple[str, ...], label: str) -> None:
        """Record a problem for every key that is not allowed."""
        for key in data:
            if key not in allowed:
                self.add(f"unknown {label} key {key!r} (allowed: {', '.join(allowed)})")


def _as_tuple(kinds: type | tuple[type, ...]) -> tuple[type, ...]:
    """Kinds as a tuple."""
    return kinds if isinstance(kinds, tuple) else (kinds,)


def _kind_names(kinds: type | tuple[type, ...]) -> str:
    """Human names for the expected kinds."""
    names = {bool: "true or false", int: "an integer", str: "a text", list: "a list", dict: "a mapping"}
    return " or ".join(names.get(kind, kind.__name__) for kind in _as_tuple(kinds))


def rule_from_dict(data: object, where: str = "rule") -> Rule:
    """A Rule from its dict shape; RuleValidationError names the rule and every problem found.

    Only the shape is checked here (keys and value types). Field, operator and action names and
    regexes are checked by compile_rules (load_rules does both).
    """
    if not isinstance(data, Mapping):
        raise RuleValidationError([f"{where}: must be a mapping, got {type(data).__name__}"])
    name = data.get("name")
    problems = _Problems(f"rule {name!r}" if isinstance(name, str) and name else where)
    _check_rule_dict(data, problems)
    conditions = _conditions_from(data.get("conditions", []), problems)
    actions = _actions_from(data.get("actions", []), problems)
    if problems.items:
        raise RuleValidationError(problems.items)
    return Rule(
        name=cast(str, name),
        conditions=conditions,
        actions=actions,
        id=data.get("id"),
        position=data.get("position", 0),
        enabled=data.get("enabled", True),
        stop_after_match=data.get("stop_after_match", False),
        applies_to=cast(AppliesTo, data.get("applies_to", "both")),
        match=cast(MatchMode, data.get("match", "all")),
        description=data.get("description", ""),
    )


def _check_rule_dict(data: Mapping[str, Any], problems: _Problems) -> None:
    """Problems with the rule's own keys."""
    problems.unknown_keys(data, RULE_KEYS, "rule")
    if not isinstance(data.get("name"), str) or not data["name"].strip():
        problems.add("name is required and must be a non-empty text")
    problems.expect(data, "id", (int, str), "id")
    problems.expect(data, "position", int, "position")
    problems.expect(data, "enabled", bool, "enabled")
    problems.expect(data, "stop_after_match", bool, "stop_after_match")
    problems.expect(data, "description", str, "description")
    if data.get("applies_to", "both") not in APPLIES_TO:
        problems.add(f"applies_to must be one of {', '.join(APPLIES_TO)}, got {data['applies_to']!r}")
    if data.get("match", "all") not in MATCH_MODES:
        problems.add(f"match must be one of {', '.join(MATCH_MODES)}, got {data['match']!r}")


def _conditions_from(items: object, problems: _Problems) -> list[Condition]:
    """Conditions from their dicts, recording problems."""
    if not isinstance(items, list):
        problems.add(f"conditions must be a list, got {items!r}")
        return []
    conditions = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, Mapping):
            problems.add(f"condition {number} must be a mapping, got {item!r}")
            continue
        _check_condition_dict(item, f"condition {number}", problems)
        conditions.append(
            Condition(
                field=str(item.get("field", "")),
                operator=str(item.get("operator", "")),
                value=item.get("value"),
                case_sensitive=item.get("case_sensitive", False),
            )
        )
    return conditions


def _check_condition_dict(item: Mapping[str, Any], label: str, problems: _Problems) -> None:
    """Problems with one condition's keys and value types."""
    problems.unknown_keys(item, CONDITION_KEYS, label)
    for key in ("field", "operator"):
        if not isinstance(item.get(key), str) or not item[key]:
            problems.add(f"{label}: {key} is required and must be a text")
    problems.expect(item, "value", str, f"{label}: value")
    problems.expect(item, "case_sensitive", bool, f"{label}: case_sensitive")


def _actions_from(items: object, problems: _Problems) -> list[Action]:
    """Actions from their dicts, recording problems."""
    if not isinstance(items, list):
        problems.add(f"actions must be a list, got {items!r}")
        return []
    actions = []
    for number, item in enumerate(items, start=1):
        label = f"action {number}"
        if not isinstance(item, Mapping):
            problems.add(f"{label} must be a mapping, got {item!r}")
            continue
        problems.unknown_keys(item, ACTION_KEYS, label)
        if not isinstance(item.get("action"), str) or not item["action"]:
            problems.add(f"{label}: action is required and must be a text")
        actions.append(Action(action=str(item.get("action", "")), value=item.get("value", True)))
    return actions
