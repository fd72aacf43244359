"""route(): match modes, stop, applies_to, ordering, action effects, default routing, trace."""

from __future__ import annotations

import pytest

from router import Action, Condition, MailFacts, RoutingDefaults, Rule, compile_rules, route
from router.decision import HIT, MISS, SKIPPED
from router.engine import base_address

MAIL = MailFacts(
    headers=[("X-Customer", "ACME")],
    from_email="jane@example.org",
    to=["support@helpdesk.example"],
    subject="Printer broken",
)
SUBJECT_PRINTER = Condition("subject", "contains", "printer")
SUBJECT_FAX = Condition("subject", "contains", "fax")


def outcomes(decision_trace: tuple) -> dict[str, str]:
    return {entry.rule_name: entry.outcome for entry in decision_trace}


def test_all_needs_every_condition_and_reports_the_failing_one() -> None:
    rule = Rule(
        "r", [SUBJECT_PRINTER, Condition("from", "ends_with", "@other.example")], [Action("set_queue", "IT")]
    )
    decision = route(MAIL, [rule])
    (entry,) = decision.trace
    assert entry.outcome == MISS
    assert entry.reason == "condition 2 failed: from ends_with '@other.example'"
    assert decision.queue is None


def test_any_needs_one_condition() -> None:
    hit = Rule("hit", [SUBJECT_FAX, SUBJECT_PRINTER], [Action("set_queue", "IT")], match="any")
    miss = Rule("miss", [SUBJECT_FAX, Condition("subject", "contains", "scanner")], match="any")
    decision = route(MAIL, [hit, miss])
    assert outcomes(decision.trace) == {"hit": HIT, "miss": MISS}
    assert decision.trace[0].reason == "condition 2 matched: subject contains 'printer'"
    assert decision.trace[1].reason == "no condition matched"
    assert decision.queue == "IT"


def test_rule_without_conditions_matches_every_mail_in_all_mode_and_none_in_any_mode() -> None:
    decision = route(MAIL, [Rule("all", [], [Action("add_tags", "a")]), Rule("any", [], match="any")])
    assert outcomes(decision.trace) == {"all": HIT, "any": MISS}


def test_rules_run_by_position_and_later_hits_override_earlier_ones() -> None:
    late = Rule("late", [SUBJECT_PRINTER], [Action("set_queue", "Second")], position=20)
    early = Rule("early", [SUBJECT_PRINTER], [Action("set_queue", "First")], position=10)
    decision = route(MAIL, [late, early])
    assert [entry.rule_name for entry in decision.trace] == ["early", "late"]
    assert decision.queue == "Second"
    assert decision.queue_source == "rule 'late'"


def test_equal_positions_keep_the_given_order() -> None:
    rules = [Rule(name, [SUBJECT_PRINTER], [Action("set_state", name)]) for name in ("b", "a", "c")]
    decision = route(MAIL, rules)
    assert [entry.rule_name for entry in decision.trace] == ["b", "a", "c"]
    assert decision.state == "c"


def test_stop_after_match_skips_the_rest_and_says_why() -> None:
    rules = [
        Rule("miss first", [SUBJECT_FAX], stop_after_match=True, position=1),
        Rule(
            "stopper", [SUBJECT_PRINTER], [Action("set_queue", "IT")], stop_after_match=True, id=7, position=2
        ),
        Rule("after", [SUBJECT_PRINTER], [Action("set_queue", "Other")], position=3),
    ]
    decision = route(MAIL, rules)
    assert outcomes(decision.trace) == {"miss first": MISS, "stopper": HIT, "after": SKIPPED}
    assert decision.trace[2].reason == "after stop by rule 'stopper' (id 7)"
    assert decision.queue == "IT"


def test_disabled_rules_are_skipped() -> None:
    decision = route(MAIL, [Rule("off", [SUBJECT_PRINTER], [Action("set_queue", "X")], enabled=False)])
    assert decision.trace[0].outcome == SKIPPED
    assert decision.trace[0].reason == "disabled"
    assert decision.queue is None


@pytest.mark.parametrize(
    ("applies_to", "is_followup", "expected"),
    [
        ("new", False, HIT),
        ("new", True, SKIPPED),
        ("followup", False, SKIPPED),
        ("followup", True, HIT),
        ("both", False, HIT),
        ("both", True, HIT),
    ],
)
def test_applies_to_new_followup_or_both(applies_to: str, is_followup: bool, expected: str) -> None:
    facts = MailFacts(subject="Printer broken", is_followup=is_followup)
    rule = Rule("r", [SUBJECT_PRINTER], [Action("set_state", "open")], applies_to=applies_to)  # type: ignore[arg-type]
    decision = route(facts, [rule])
    assert decision.trace[0].outcome == expected
    assert (decision.state == "open") is (expected == HIT)
    if expected == SKIPPED:
        assert "applies to" in decision.trace[0].reason


def test_every_action_reaches_the_decision() -> None:
    actions = [
        Action("set_queue", 12),
        Action("set_priority", "4 high"),
        Action("set_state", "open"),
        Action("set_type", "Incident"),
        Action("set_owner", "agent1"),
        Action("set_responsible", 3),
        Action("set_customer", "jane@example.org"),
        Action("set_title", "Broken printer"),
        Action("add_tags", ["hardware", "printer"]),
        Action("add_tags", "printer"),
        Action("set_dynamic_field", {"Location": "Floor 3"}),
        Action("suppress_auto_reply"),
        Action("ignore", True),
        Action("move_to_junk", True),
    ]
    decision = route(MAIL, [Rule("everything", [SUBJECT_PRINTER], actions)])
    assert (decision.queue, decision.priority, decision.state, decision.type) == (
        12,
        "4 high",
        "open",
        "Incident",
    )
    assert (decision.owner, decision.responsible, decision.customer) == ("agent1", 3, "jane@example.org")
    assert decision.title == "Broken printer"
    assert decision.tags == ("hardware", "printer")
    assert dict(decision.dynamic_fields) == {"Location": "Floor 3"}
    assert decision.suppress_auto_reply and decision.ignore and decision.junk
    assert decision.sources["priority"] == "rule 'everything'"


def test_default_routing_uses_the_system_address_queue() -> None:
    defaults = RoutingDefaults("Raw", {"Support@Helpdesk.example": "Support", "sales@helpdesk.example": 4})
    decision = route(MAIL, [], defaults)
    assert decision.queue == "Support"
    assert decision.queue_source == "system address support@helpdesk.example"


def test_default_routing_matches_plus_addresses_and_prefers_the_envelope() -> None:
    facts = MailFacts(to=["sales@helpdesk.example"], envelope_to=["Support+Urgent@helpdesk.example"])
    defaults = RoutingDefaults(
        "Raw", {"support@helpdesk.example": "Support", "sales@helpdesk.example": "Sales"}
    )
    decision = route(facts, [], defaults)
    assert decision.queue == "Support"


def test_an_exact_plus_address_wins_over_its_base_address() -> None:
    defaults = RoutingDefaults(None, {"support@x.example": "Support", "support+vip@x.example": "VIP"})
    assert defaults.queue_for("SUPPORT+VIP@x.example") == "VIP"
    assert defaults.queue_for("support+other@x.example") == "Support"
    assert defaults.queue_for("nobody@x.example") is None


def test_default_queue_when_no_system_address_matches_and_none_without_defaults() -> None:
    facts = MailFacts(to=["someone@elsewhere.example"])
    assert route(facts, [], RoutingDefaults("Raw", {"support@x.example": "Support"})).queue == "Raw"
    assert route(facts, [], RoutingDefaults("Raw")).queue_source == "default queue"
    assert route(facts, []).queue is None


def test_a_rule_queue_beats_the_system_address() -> None:
    defaults = RoutingDefaults("Raw", {"support@helpdesk.example": "Support"})
    decision = route(MAIL, [Rule("r", [SUBJECT_PRINTER], [Action("set_queue", "IT")])], defaults)
    assert decision.queue == "IT"


def test_base_address() -> None:
    assert base_address(" Support+foo+bar@Example.ORG ") == "support@example.org"
    assert base_address("plain@example.org") == "plain@example.org"
    assert base_address("not-an-address") == "not-an-address"


def test_one_compiled_rule_set_routes_many_mails_independently() -> None:
    ruleset = compile_rules([Rule("r", [SUBJECT_PRINTER], [Action("add_tags", "p")])])
    first = route(MAIL, ruleset)
    second = route(MailFacts(subject="Fax"), ruleset)
    assert first.tags == ("p",)
    assert second.tags == ()
    assert route(MAIL, ruleset) == first


def test_trace_lists_every_rule_once_with_hits_and_misses() -> None:
    rules = [Rule(f"r{index}", [Condition("subject", "contains", str(index))]) for index in range(50)]
    decision = route(MailFacts(subject="7"), rules)
    assert len(decision.trace) == 50
    assert [entry.rule_name for entry in decision.hits] == ["r7"]
    assert len(decision.misses) == 49


def test_placeholders_in_action_values_take_regex_captures() -> None:
    rule = Rule(
        "capture",
        [
            Condition("subject", "regex", r"invoice\s+(?P<number>\d+)"),
            Condition("from", "regex", r"@([a-z]+)\.example$"),
        ],
        [
            Action("set_title", "Invoice [**\\number**] from [***]"),
            Action("add_tags", ["inv-[**\\number**]", "static"]),
        ],
    )
    facts = MailFacts(subject="Your invoice 2026 is here", from_email="billing@acme.example")
    decision = route(facts, [rule])
    assert decision.title == "Invoice 2026 from acme"
    assert decision.tags == ("inv-2026", "static")


def test_an_action_left_empty_by_its_placeholder_is_left_out_and_traced() -> None:
    rule = Rule(
        "empty",
        [Condition("subject", "contains", "x")],
        [Action("set_owner", "[***]"), Action("set_state", "open")],
    )
    decision = route(MailFacts(subject="x"), [rule])
    assert decision.owner is None and decision.state == "open"
    assert decision.trace[0].outcome == HIT
    assert "action 1 left out after filling placeholders: set_owner needs" in decision.trace[0].reason


def test_trace_dicts_are_plain_values() -> None:
    decision = route(MAIL, [Rule("r", [SUBJECT_PRINTER], id=5, position=3)])
    assert decision.trace_dicts() == [
        {"rule_id": 5, "rule_name": "r", "position": 3, "outcome": "hit", "reason": "all conditions matched"}
    ]
