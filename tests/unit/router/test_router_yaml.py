"""Rules as dicts and YAML: round trips and validation errors that name the rule."""

from __future__ import annotations

import json

import pytest

from router import Action, Condition, Rule, RuleValidationError
from router.dicts import rule_from_dict, rule_to_dict
from router.yaml_io import dump_rules, load_rules

RULES = [
    Rule(
        "Invoices to billing",
        [
            Condition("subject", "contains", "invoice"),
            Condition("header:X-Spam-Flag", "not_exists"),
            Condition("from", "regex", r"@(acme|globex)\.example$", case_sensitive=True),
        ],
        [
            Action("set_queue", "Billing"),
            Action("set_priority", 4),
            Action("add_tags", ("billing", "finance")),
            Action("set_dynamic_field", {"Region": "EU"}),
            Action("suppress_auto_reply"),
        ],
        id=12,
        position=10,
        stop_after_match=True,
        applies_to="new",
        match="any",
        description="Finance asked for this",
    ),
    Rule("Disabled", [], [Action("move_to_junk", True)], enabled=False, position=20, applies_to="followup"),
]


def test_yaml_round_trip_keeps_every_rule_equal() -> None:
    text = dump_rules(RULES)
    assert load_rules(text) == RULES
    assert text.startswith("rules:\n- id: 12\n  name: Invoices to billing\n")


def test_dict_round_trip_survives_json_as_the_database_stores_it() -> None:
    for rule in RULES:
        assert rule_from_dict(json.loads(json.dumps(rule_to_dict(rule)))) == rule


def test_dict_shape_leaves_out_defaults_that_say_nothing() -> None:
    data = rule_to_dict(Rule("r", [Condition("subject", "exists")]))
    assert data == {
        "name": "r",
        "position": 0,
        "enabled": True,
        "stop_after_match": False,
        "applies_to": "both",
        "match": "all",
        "conditions": [{"field": "subject", "operator": "exists"}],
        "actions": [],
    }


def test_a_bare_list_and_an_empty_document_load() -> None:
    assert load_rules("- name: r\n  conditions: []\n") == [Rule("r")]
    assert load_rules("") == []
    assert load_rules("rules: []") == []


def problems_of(text: str) -> list[str]:
    with pytest.raises(RuleValidationError) as caught:
        load_rules(text)
    return list(caught.value.problems)


def test_unknown_field_operator_and_action_are_named_with_the_rule() -> None:
    problems = problems_of(
        """
rules:
  - name: Typos
    conditions:
      - {field: subjekt, operator: contains, value: x}
      - {field: subject, operator: containz, value: x}
    actions:
      - {action: set_kueue, value: x}
"""
    )
    assert problems[0].startswith("rule 'Typos', condition 1: unknown field 'subjekt' (known: ")
    assert problems[1].startswith("rule 'Typos', condition 2: unknown operator 'containz' (known: ")
    assert "not_contains" in problems[1]
    assert problems[2].startswith("rule 'Typos', action 1: unknown action 'set_kueue' (known: ")
    assert len(problems) == 3


def test_bad_regex_and_misused_values_are_reported() -> None:
    problems = problems_of(
        """
- name: Values
  conditions:
    - {field: subject, operator: regex, value: "(unclosed"}
    - {field: subject, operator: exists, value: x}
    - {field: header, operator: exists}
    - {field: subject:X, operator: exists}
    - {field: subject, operator: contains}
  actions:
    - {action: add_tags, value: []}
    - {action: ignore, value: "yes"}
    - {action: set_queue, value: ""}
"""
    )
    assert problems[0].startswith("rule 'Values', condition 1: invalid regex '(unclosed'")
    assert problems[1] == "rule 'Values', condition 2: operator 'exists' takes no value, got 'x'"
    assert problems[2].startswith("rule 'Values', condition 3: field 'header' needs a name")
    assert problems[3] == "rule 'Values', condition 4: field 'subject' takes no ':X'"
    assert problems[4] == "rule 'Values', condition 5: operator 'contains' needs a text value, got None"
    assert problems[5].startswith("rule 'Values', action 1: add_tags needs")
    assert problems[6] == "rule 'Values', action 2: ignore needs true or false, got 'yes'"
    assert problems[7].startswith("rule 'Values', action 3: set_queue needs a name or a numeric id")


def test_wrong_types_and_unknown_keys_name_the_rule_or_its_number() -> None:
    problems = problems_of(
        """
rules:
  - name: Fine
  - name: 7
    colour: red
    position: "1"
    enabled: "yes"
    applies_to: sometimes
    match: most
    conditions: {field: subject}
  - name: Shapes
    conditions:
      - "subject contains x"
      - {field: subject, operator: contains, value: 5, case_sensitive: "no"}
    actions:
      - {value: x}
"""
    )
    assert "rule #2: unknown rule key 'colour'" in problems[0]
    assert "rule #2: name is required and must be a non-empty text" in problems
    assert "rule #2: position must be an integer, got '1'" in problems
    assert "rule #2: enabled must be true or false, got 'yes'" in problems
    assert "rule #2: applies_to must be one of new, followup, both, got 'sometimes'" in problems
    assert "rule #2: match must be one of all, any, got 'most'" in problems
    assert "rule #2: conditions must be a list, got {'field': 'subject'}" in problems
    assert "rule 'Shapes': condition 1 must be a mapping, got 'subject contains x'" in problems
    assert "rule 'Shapes': condition 2: value must be a text, got 5" in problems
    assert "rule 'Shapes': condition 2: case_sensitive must be true or false, got 'no'" in problems
    assert "rule 'Shapes': action 1: action is required and must be a text" in problems


def test_not_yaml_and_not_a_list_are_clear_errors() -> None:
    assert problems_of("rules: [unclosed")[0].startswith("not valid YAML")
    assert problems_of("just text") == ["expected a list of rules, or a mapping with a 'rules' list"]


def test_rule_from_dict_rejects_a_non_mapping() -> None:
    with pytest.raises(RuleValidationError, match="rule: must be a mapping, got list"):
        rule_from_dict([])
