"""Regexes are bounded in time (a timeout is a miss, never a crash) and gates never change results."""

from __future__ import annotations

import random
import time

import pytest

from router import Action, Condition, MailFacts, Rule, compile_rules, route
from router.decision import HIT, MISS
from router.gates import GATE_MAX_CHARS, combinable

CATASTROPHIC = r"^(a|aa)+$"  # exponential backtracking on a long run of 'a' that ends in a mismatch
LONG_SUBJECT = "a" * 5000 + "!"


def test_catastrophic_regex_on_a_long_subject_is_cut_off_and_counted_as_a_miss() -> None:
    rules = [
        Rule("evil", [Condition("subject", "regex", CATASTROPHIC)], [Action("set_queue", "Never")]),
        Rule("after", [Condition("subject", "contains", "aaa")], [Action("add_tags", "reached")]),
    ]
    ruleset = compile_rules(rules, regex_timeout=0.05)
    started = time.perf_counter()
    decision = route(MailFacts(subject=LONG_SUBJECT), ruleset)
    elapsed = time.perf_counter() - started
    assert elapsed < 2.0
    evil, after = decision.trace
    assert evil.outcome == MISS
    assert "regex timed out" in evil.reason and CATASTROPHIC in evil.reason
    assert after.outcome == HIT
    assert decision.queue is None and decision.tags == ("reached",)


def test_a_timed_out_negated_regex_is_also_a_miss() -> None:
    rule = Rule("negated", [Condition("subject", "not_regex", CATASTROPHIC)], [Action("set_queue", "Q")])
    decision = route(MailFacts(subject=LONG_SUBJECT), compile_rules([rule], regex_timeout=0.02))
    assert decision.trace[0].outcome == MISS
    assert "timed out" in decision.trace[0].reason


def test_in_any_mode_another_condition_can_still_hit_after_a_timeout() -> None:
    conditions = [Condition("subject", "regex", CATASTROPHIC), Condition("subject", "ends_with", "!")]
    rule = Rule("any", conditions, [Action("set_queue", "Q")], match="any")
    decision = route(MailFacts(subject=LONG_SUBJECT), compile_rules([rule], regex_timeout=0.02))
    assert decision.trace[0].outcome == HIT
    assert decision.queue == "Q"


def test_in_any_mode_a_miss_reports_the_timeouts() -> None:
    conditions = [Condition("subject", "regex", CATASTROPHIC), Condition("subject", "equals", "x")]
    decision = route(
        MailFacts(subject=LONG_SUBJECT),
        compile_rules([Rule("any", conditions, match="any")], regex_timeout=0.02),
    )
    assert decision.trace[0].outcome == MISS
    assert decision.trace[0].reason.startswith("condition 1 counted as a miss: regex timed out")


def test_a_gated_catastrophic_pattern_on_a_short_value_still_times_out_as_a_miss() -> None:
    # Short enough to be gated, long enough to explode: the gate times out, then each regex runs.
    subject = "a" * 60 + "!"
    assert len(subject) <= GATE_MAX_CHARS
    rules = [
        Rule("evil", [Condition("subject", "regex", CATASTROPHIC)]),
        Rule("fine", [Condition("subject", "regex", r"a!$")], [Action("add_tags", "fine")]),
        Rule("other", [Condition("subject", "regex", r"^b")]),
    ]
    ruleset = compile_rules(rules, regex_timeout=0.02)
    assert ruleset.gates
    decision = route(MailFacts(subject=subject), ruleset)
    assert [entry.outcome for entry in decision.trace] == [MISS, HIT, MISS]
    assert "timed out" in decision.trace[0].reason


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r"invoice \d+", True),
        (r"(?:a|b)(?=c)(?<!d)(?P<name>x)", True),
        (r"(a)\1", False),
        (r"(?i)abc", False),
        (r"(?x) a b c", False),
        (r"(?P<n>a)(?P=n)", False),
    ],
)
def test_only_patterns_that_keep_their_meaning_are_combined(pattern: str, expected: bool) -> None:
    assert combinable(pattern) is expected


WORDS = ["invoice", "order", "printer", "Case", "ticket", "vendor", "list", "ACME", "floor", "42", "x-ray"]
PATTERNS = [
    r"\binvoice\s+\d+",
    r"^order",
    r"printer$",
    r"case[ -]?#?\d{2}",
    r"(?i)ticket",
    r"vendor|supplier",
    r"(\w)\1",
    r"acme(?= corp)",
    r"floor\s+\d+\b",
    r"x-ray",
    r"^$",
]


def random_rules(rng: random.Random) -> list[Rule]:
    rules = []
    for index in range(60):
        field = rng.choice(["subject", "from", "to", "header:X-Tag", "body"])
        operator = rng.choice(["regex", "not_regex", "regex", "contains"])
        value = rng.choice(PATTERNS) if "regex" in operator else rng.choice(WORDS)
        case_sensitive = rng.random() < 0.3
        conditions = [Condition(field, operator, value, case_sensitive)]
        rules.append(
            Rule(f"r{index}", conditions, [Action("add_tags", f"t{index}")], match=rng.choice(["all", "any"]))
        )
    return rules


def random_mail(rng: random.Random) -> MailFacts:
    def text(count: int) -> str:
        return " ".join(rng.choice(WORDS) for _ in range(count))

    return MailFacts(
        headers=[("X-Tag", text(2)), ("X-Tag", text(1))] if rng.random() < 0.7 else [],
        from_email=f"{rng.choice(WORDS).lower()}@example.org",
        to=[f"{rng.choice(WORDS).lower()}@helpdesk.example" for _ in range(rng.randint(0, 3))],
        subject=text(rng.randint(0, 6)),
        body_text=text(rng.choice([3, 200])),
    )


def test_gated_and_ungated_rule_sets_decide_identically() -> None:
    rng = random.Random(20261125)
    for _ in range(40):
        rules = random_rules(rng)
        gated = compile_rules(rules)
        plain = compile_rules(rules, gate_regexes=False)
        assert gated.gates and not plain.gates
        for _ in range(10):
            mail = random_mail(rng)
            assert route(mail, gated) == route(mail, plain)


def test_gated_conditions_read_the_gate_and_short_values_skip_every_search() -> None:
    rules = [
        Rule(f"r{index}", [Condition("subject", "regex", rf"case #{index:04d}\b")]) for index in range(40)
    ]
    ruleset = compile_rules(rules)
    assert len(ruleset.gates) == 3  # 16 + 16 + 8 patterns
    values = ruleset.load(MailFacts(subject="Printer broken"))
    assert [value[1] for value in values[len(ruleset.slots) :]] == [False, False, False]
    values = ruleset.load(MailFacts(subject="about case #0020 again"))
    assert [value[1] for value in values[len(ruleset.slots) :]] == [False, True, False]
    decision = route(MailFacts(subject="about case #0020 again"), ruleset)
    assert [entry.rule_name for entry in decision.hits] == ["r20"]
