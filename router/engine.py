"""route(): run compiled rules over one mail's facts and return a Decision with its trace."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from router.compiler import RuleSet, compile_rules
from router.decision import HIT, SKIPPED, Decision, DecisionBuilder, QueueRef, TraceEntry
from router.facts import MailFacts
from router.rules import Action, Rule
from router.znuny import headers_to_actions, otrs_headers

TRUSTED_HEADERS_NAME = "X-OTRS headers in the mail"


def base_address(address: str) -> str:
    """An address lower-cased with its plus-tag removed: `Support+foo@x` -> `support@x`."""
    local, at, domain = address.strip().lower().rpartition("@")
    if not at:
        return domain
    return f"{local.partition('+')[0]}@{domain}"


@dataclass(frozen=True)
class RoutingDefaults:
    """Where a mail goes when no rule sets a queue: its system address's queue, else default_queue."""

    default_queue: QueueRef | None = None
    system_addresses: Mapping[str, QueueRef] = field(default_factory=dict)

    def __post_init__(self) -> None:
        exact = {address.strip().lower(): queue for address, queue in self.system_addresses.items()}
        object.__setattr__(self, "system_addresses", MappingProxyType(exact))

    def queue_for(self, address: str) -> QueueRef | None:
        """The queue of a system address, matched case-insensitively, plus-tags ignored."""
        addresses = self.system_addresses
        found = addresses.get(address.strip().lower())
        return found if found is not None else addresses.get(base_address(address))


def route(
    facts: MailFacts, rules: RuleSet | Sequence[Rule], defaults: RoutingDefaults | None = None
) -> Decision:
    """Decide what happens to one mail; pure: values in, a Decision (with its trace) out."""
    ruleset = rules if isinstance(rules, RuleSet) else compile_rules(rules)
    builder = DecisionBuilder()
    _apply_mail_headers(facts, ruleset, builder)
    _run_rules(facts, ruleset, builder)
    queue, queue_source = _choose_queue(facts, builder, defaults or RoutingDefaults())
    return builder.build(queue, queue_source)


def _apply_mail_headers(facts: MailFacts, ruleset: RuleSet, builder: DecisionBuilder) -> None:
    """Honour the mail's own X-OTRS-* headers, as Znuny does, but only from a trusted source."""
    headers = otrs_headers(facts)
    if not headers:
        return
    if not facts.trusted_source:
        reason = f"untrusted source: ignored {', '.join(name for name, _ in headers)}"
        builder.trace.append(TraceEntry(None, TRUSTED_HEADERS_NAME, -1, SKIPPED, reason))
        return
    actions = headers_to_actions(headers, followup=facts.is_followup)
    _apply_actions(actions, ruleset, builder, f"trusted header ({TRUSTED_HEADERS_NAME})")
    applied = ", ".join(action.action for action in actions) or "nothing applicable"
    builder.trace.append(TraceEntry(None, TRUSTED_HEADERS_NAME, -1, HIT, f"trusted source: {applied}"))


def _apply_actions(actions: list[Action], ruleset: RuleSet, builder: DecisionBuilder, source: str) -> None:
    """Apply header-derived actions, skipping any whose value does not validate."""
    for action in actions:
        action_type = ruleset.registries.actions.get(action.action)
        try:
            value = action_type.validate(action.value)
        except ValueError:
            continue
        action_type.apply(builder, value, source)


def _run_rules(facts: MailFacts, ruleset: RuleSet, builder: DecisionBuilder) -> None:
    """Evaluate every rule in order, applying hits and tracing each rule's outcome."""
    values = ruleset.load(facts)
    trace = builder.trace.append
    followup = facts.is_followup
    rules = iter(ruleset.rules)
    for compiled in rules:
        skip = compiled.skip_followup if followup else compiled.skip_new
        if skip is not None:
            trace(skip)
            continue
        entry = compiled.evaluate(values)
        if entry.outcome != HIT:
            trace(entry)
            continue
        actions = compiled.actions
        if compiled.fills_placeholders:
            filled, problems = compiled.filled_actions(values)
            actions, entry = tuple(filled), _with_problems(entry, problems)
        trace(entry)
        for action_type, value in actions:
            action_type.apply(builder, value, compiled.source)
        if compiled.rule.stop_after_match:
            reason = f"after stop by {compiled.source}"
            builder.trace.extend(later.entry(SKIPPED, reason) for later in rules)


def _with_problems(entry: TraceEntry, problems: list[str]) -> TraceEntry:
    """The trace entry with the problems met while applying the rule added to its reason."""
    return entry._replace(reason="; ".join([entry.reason, *problems])) if problems else entry


def _choose_queue(
    facts: MailFacts, builder: DecisionBuilder, defaults: RoutingDefaults
) -> tuple[QueueRef | None, str]:
    """The queue a rule set, else the queue of the system address mailed, else the default queue."""
    if builder.queue is not None:
        return builder.queue, builder.sources["queue"]
    for address in facts.recipients:
        queue = defaults.queue_for(address)
        if queue is not None:
            return queue, f"system address {address}"
    if defaults.default_queue is not None:
        return defaults.default_queue, "default queue"
    return None, "no rule, system address or default queue"
