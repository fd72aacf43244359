"""A thousand rules: correct outcomes and a sane cost (the precise figures come from bench/route_bench.py)."""

from __future__ import annotations

import time

from router import Action, Condition, MailFacts, RoutingDefaults, Rule, compile_rules, route
from router.decision import HIT, MISS, SKIPPED
from router.yaml_io import dump_rules, load_rules
from router.znuny import rules_from_postmaster_filter


def thousand_rules() -> list[Rule]:
    rules = []
    for index in range(997):
        kind = index % 4
        if kind == 0:
            condition = Condition("subject", "contains", f"order {index}")
        elif kind == 1:
            condition = Condition("from", "equals", f"user{index}@customer.example")
        elif kind == 2:
            condition = Condition(f"header:X-Customer-{index % 7}", "equals", f"C{index}")
        else:
            condition = Condition("subject", "regex", rf"\bcase\s*#?{index}\b")
        rules.append(Rule(f"r{index}", [condition], [Action("set_queue", f"Q{index}")], position=index))
    rules.append(
        Rule(
            "printer",
            [Condition("subject", "contains", "printer")],
            [Action("set_queue", "IT")],
            position=2000,
        )
    )
    rules.append(Rule("stop", [Condition("kind", "equals", "normal")], stop_after_match=True, position=2001))
    rules.append(Rule("never", [], [Action("set_queue", "Never")], position=2002))
    return rules


def test_a_thousand_rules_route_correctly_and_quickly() -> None:
    ruleset = compile_rules(thousand_rules())
    facts = MailFacts(subject="Printer on floor 3", from_email="jane@example.org", body_text="x" * 5000)
    decision = route(facts, ruleset, RoutingDefaults("Raw"))
    assert decision.queue == "IT"
    assert len(decision.trace) == 1000
    assert [entry.rule_name for entry in decision.hits] == ["printer", "stop"]
    assert decision.trace[-1].outcome == SKIPPED
    assert sum(entry.outcome == MISS for entry in decision.trace) == 997
    started = time.perf_counter()
    for _ in range(20):
        route(facts, ruleset)
    assert (time.perf_counter() - started) / 20 < 0.05  # generous: a sanity bound, not the target


def test_a_thousand_rules_survive_a_yaml_round_trip() -> None:
    rules = thousand_rules()
    assert load_rules(dump_rules(rules)) == rules


def test_converted_znuny_filters_survive_a_yaml_round_trip_and_still_match() -> None:
    rows = [
        ("Mail", 1, "Match", "From", r"EMAILADDRESS:.*@partner\.example", 0),
        ("Mail", 1, "Match", "Subject", r"(?i)\Qurgent!\E\s+(\d+)", 0),
        ("Mail", 1, "Set", "X-OTRS-Title", "Urgent [***]", 0),
        ("Mail", 1, "Set", "X-OTRS-FollowUp-State", "open", 0),
    ]
    rules = load_rules(dump_rules(rules_from_postmaster_filter(rows)))
    facts = MailFacts(headers=[("From", "a@partner.example"), ("Subject", "URGENT! 42")])
    decision = route(facts, rules)
    assert decision.title == "Urgent 42"
    assert [entry.outcome for entry in decision.trace] == [HIT, SKIPPED]
