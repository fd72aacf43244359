"""Routing cost: compile time and per-mail time for 1,000 realistic rules, 10 rules as baseline.

Run: .venv/bin/python bench/route_bench.py [--mails N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

from router import Action, Condition, MailFacts, RoutingDefaults, Rule, RuleSet, compile_rules, route


def _rule_for(index: int) -> Rule:
    """One of several realistic rule shapes, none of which matches the benchmark mail."""
    shapes: list[Callable[[int], list[Condition]]] = [
        lambda i: [Condition("subject", "contains", f"order {i}")],
        lambda i: [Condition("from", "equals", f"billing{i}@customer{i}.example")],
        lambda i: [Condition("header:X-Customer-ID", "equals", f"CUST-{i:05d}")],
        lambda i: [Condition("sender_domain", "ends_with", f"partner{i}.example")],
        lambda i: [Condition("subject", "regex", rf"\b(?:case|ticket)[ -]?#?{i:06d}\b")],
        lambda i: [
            Condition("from", "ends_with", f"@vendor{i}.example"),
            Condition("subject", "contains", "invoice"),
        ],
        lambda i: [Condition("header:List-Id", "regex", rf"<list{i}\.lists\.example>")],
        lambda i: [Condition("to", "starts_with", f"team{i}@")],
        lambda i: [
            Condition("header:X-Mailer", "contains", f"Bulkmailer {i}"),
            Condition("kind", "equals", "list"),
        ],
        lambda i: [Condition("body", "contains", f"contract number {i:07d}")],
    ]
    conditions = shapes[index % len(shapes)](index)
    actions = [Action("set_queue", f"Queue {index % 40}"), Action("add_tags", [f"tag{index % 17}"])]
    return Rule(f"rule {index}", conditions, actions, id=index, position=index * 10)


def build_rules(count: int) -> list[Rule]:
    """count rules: all but the last three miss the benchmark mail; those three hit."""
    rules = [_rule_for(index) for index in range(count - 3)]
    last = count * 10
    printer = [Condition("subject", "contains", "printer")]
    rules.append(Rule("printer", printer, [Action("set_queue", "IT")], position=last))
    vip = [Condition("sender_domain", "equals", "example.org"), Condition("header:X-Priority", "exists")]
    rules.append(Rule("vip", vip, [Action("set_priority", "4 high")], match="any", position=last + 10))
    floor = [Condition("subject", "regex", r"\bfloor\s+\d+\b")]
    rules.append(Rule("tag", floor, [Action("add_tags", "onsite")], position=last + 20))
    return rules


def build_mail() -> MailFacts:
    """A 5 KB mail: ordinary headers, a two-paragraph body repeated to size."""
    paragraph = (
        "Hello support team,\n\nthe printer on floor 3 stopped working this morning. It shows error "
        "E-042 and the paper tray light is blinking. We already tried switching it off and on again. "
        "Could somebody please have a look before the end of the week?\n\n"
    )
    body = (paragraph * (5000 // len(paragraph) + 1))[:5000]
    headers = [
        ("From", "Jane Doe <jane.doe@example.org>"),
        ("To", "Support <support@helpdesk.example>"),
        ("Subject", "Printer on floor 3 broken"),
        ("Message-ID", "<20261125.123456.4711@mail.example.org>"),
        ("Date", "Wed, 25 Nov 2026 10:00:00 +0100"),
        ("X-Mailer", "Thunderbird 128.0"),
        ("X-Priority", "3"),
        ("Received", "from mail.example.org (mail.example.org [192.0.2.10]) by mx.helpdesk.example"),
        ("Received", "from [10.0.0.5] by mail.example.org"),
        ("Content-Type", "text/plain; charset=utf-8"),
    ]
    return MailFacts(
        headers=headers,
        from_email="jane.doe@example.org",
        from_name="Jane Doe",
        to=["support@helpdesk.example"],
        subject="Printer on floor 3 broken",
        body_text=body,
        envelope_to=["support@helpdesk.example"],
    )


def measure(
    ruleset: RuleSet, mail: MailFacts, defaults: RoutingDefaults, runs: int
) -> tuple[list[float], float]:
    """Wall-clock microseconds per routed mail (one sample per run), and mean CPU microseconds."""
    samples = []
    cpu_start = time.process_time()
    for _ in range(runs):
        start = time.perf_counter()
        route(mail, ruleset, defaults)
        samples.append((time.perf_counter() - start) * 1e6)
    return samples, (time.process_time() - cpu_start) * 1e6 / runs


def report(count: int, mail: MailFacts, defaults: RoutingDefaults, runs: int) -> float:
    """Compile and route with count rules; print the figures; return the mean microseconds."""
    rules = build_rules(count)
    start = time.perf_counter()
    ruleset = compile_rules(rules)
    compile_ms = (time.perf_counter() - start) * 1000
    decision = route(mail, ruleset, defaults)
    hits = [entry.rule_name for entry in decision.hits]
    assert decision.queue == "IT" and hits == ["printer", "vip", "tag"], (decision.queue, hits)
    measure(ruleset, mail, defaults, max(runs // 10, 5))  # warm-up
    samples, cpu = measure(ruleset, mail, defaults, runs)
    samples.sort()
    mean = statistics.fmean(samples)
    p95 = samples[int(len(samples) * 0.95) - 1]
    print(
        f"{count:>5} rules: compile {compile_ms:7.1f} ms | route mean {mean:7.1f} us, p95 {p95:7.1f} us, "
        f"median {statistics.median(samples):7.1f} us, min {samples[0]:7.1f} us (CPU mean {cpu:7.1f} us)"
    )
    return mean


def breakdown(mail: MailFacts, runs: int) -> None:
    """Microseconds spent per kind of rule (summed over the 1,000-rule set), and per mail on field loading."""
    ruleset = compile_rules(build_rules(1000))
    values = ruleset.load(mail)
    start = time.process_time()
    for _ in range(runs):
        ruleset.load(mail)
    print(f"  loading fields and regex gates: {(time.process_time() - start) * 1e6 / runs:7.1f} us")
    totals: dict[str, float] = {}
    for compiled in ruleset.rules:
        kind = " & ".join(" ".join(c.description.split()[:2]) for c in compiled.conditions)
        start = time.process_time()
        for _ in range(runs):
            compiled.evaluate(values)
        totals[kind] = totals.get(kind, 0.0) + (time.process_time() - start) * 1e6 / runs
    for kind, total in sorted(totals.items(), key=lambda item: -item[1]):
        print(f"  {total:7.1f} us  {kind}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mails", type=int, default=500, help="routed mails per measurement")
    parser.add_argument("--breakdown", action="store_true", help="also show the cost per kind of rule")
    args = parser.parse_args()
    mail = build_mail()
    defaults = RoutingDefaults("Raw", {"support@helpdesk.example": "Support"})
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"mail: {len(mail.body_text)} characters of body, {len(mail.headers)} headers; load average {load}")
    baseline = report(10, mail, defaults, args.mails)
    full = report(1000, mail, defaults, args.mails)
    print(f"ratio 1000/10 rules: {full / baseline:.1f}x; target: under 2000 us per mail with 1000 rules")
    if args.breakdown:
        print("CPU time by kind of rule (1000-rule set, evaluation only):")
        breakdown(mail, max(args.mails // 5, 20))


if __name__ == "__main__":
    main()
