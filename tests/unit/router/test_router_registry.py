"""Registries of fields, operators and actions: lookups, duplicates refused, custom extensions."""

from __future__ import annotations

import pytest

from router import Action, Condition, DuplicateNameError, MailFacts, Registries, Rule, compile_rules, route
from router.actions import ActionType, SetQueue, default_actions
from router.decision import DecisionBuilder
from router.errors import UnknownNameError
from router.fields import FieldType, default_fields
from router.operators import EqualsOperator, NegatedOperator, default_operators
from router.registry import Registry


def test_default_registries_hold_every_documented_name() -> None:
    assert default_fields().names() == sorted(
        [
            "header",
            "znuny_header",
            "header_addresses",
            "from",
            "from_name",
            "to",
            "cc",
            "recipient",
            "subject",
            "body",
            "attachment_names",
            "kind",
            "sender_domain",
        ]
    )
    positives = ["equals", "contains", "starts_with", "ends_with", "regex", "exists"]
    assert default_operators().names() == sorted(positives + [f"not_{name}" for name in positives])
    assert default_actions().names() == sorted(
        [
            "set_queue",
            "set_priority",
            "set_state",
            "set_type",
            "set_owner",
            "set_responsible",
            "set_customer",
            "set_title",
            "add_tags",
            "set_dynamic_field",
            "suppress_auto_reply",
            "ignore",
            "move_to_junk",
        ]
    )


def test_registering_a_name_twice_is_refused() -> None:
    actions = default_actions()
    with pytest.raises(DuplicateNameError, match="action 'set_queue' is already registered"):
        actions.register(SetQueue())
    operators = default_operators()
    with pytest.raises(DuplicateNameError, match="operator 'not_equals'"):
        operators.register(NegatedOperator(EqualsOperator()))


def test_a_registry_built_from_duplicates_is_refused() -> None:
    with pytest.raises(DuplicateNameError):
        Registry("action", [SetQueue(), SetQueue()])


def test_unknown_names_list_the_known_ones() -> None:
    with pytest.raises(UnknownNameError, match=r"unknown field 'nope' \(known: attachment_names, body, cc"):
        default_fields().get("nope")
    assert "subject" in default_fields() and "nope" not in default_fields()
    assert len(default_operators()) == 12


class ReplyToField(FieldType):
    name = "reply_to_domain"
    single = True

    def extract(self, facts: MailFacts, argument: str) -> str:
        value = facts.header("Reply-To") or ""
        return value.rpartition("@")[2].rstrip(">").lower()


class SetFlagTag(ActionType):
    name = "flag"

    def validate(self, value: object) -> object:
        return str(value)

    def apply(self, builder: DecisionBuilder, value: object, source: str) -> None:
        builder.add_tags((f"flag:{value}",), source)


def test_custom_fields_and_actions_plug_in_through_registries() -> None:
    registries = Registries()
    registries.fields.register(ReplyToField())
    registries.actions.register(SetFlagTag())
    rule = Rule(
        "custom", [Condition("reply_to_domain", "equals", "partner.example")], [Action("flag", "red")]
    )
    ruleset = compile_rules([rule], registries=registries)
    decision = route(MailFacts(headers=[("Reply-To", "X <x@Partner.example>")]), ruleset)
    assert decision.tags == ("flag:red",)
    with pytest.raises(Exception, match="unknown field 'reply_to_domain'"):
        compile_rules([rule])
