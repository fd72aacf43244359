"""Compile rules once into a RuleSet: names resolved, values validated, regexes built.

Routing a mail then costs little: each field a rule set uses is read (and case-folded) once per
mail into a slot, each condition is one predicate call on its slot, and the trace entries for the
ordinary outcomes (hit, condition N failed, skipped) are built here, once, and reused.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Final

from router.actions import ActionType, default_actions
from router.captures import Search, collect, fill, uses_placeholders
from router.decision import HIT, MISS, SKIPPED, TraceEntry
from router.errors import RuleValidationError, UnknownNameError
from router.facts import MailFacts
from router.fields import FieldType, Values, default_fields, split_field
from router.gates import GATE_SIZE, MIN_GATED_PATTERNS, RegexGate, build_gate, combinable, gated
from router.operators import Operator, Predicate, compile_pattern, default_operators
from router.registry import Registry
from router.rules import APPLIES_TO, MATCH_MODES, Condition, Rule

DEFAULT_REGEX_TIMEOUT: Final = 0.05


@dataclass(frozen=True)
class Registries:
    """The fields, operators and actions rules may name."""

    fields: Registry[FieldType] = field(default_factory=default_fields)
    operators: Registry[Operator] = field(default_factory=default_operators)
    actions: Registry[ActionType] = field(default_factory=default_actions)


@dataclass(frozen=True)
class FieldSlot:
    """One field a rule set reads from each mail, case-folded or not."""

    field_type: FieldType
    argument: str
    folded: bool

    def load(self, facts: MailFacts) -> str | Values:
        """The field's value(s) for one mail."""
        value = self.field_type.extract(facts, self.argument)
        if not self.folded:
            return value
        if isinstance(value, str):
            return value.casefold()
        return tuple(item.casefold() for item in value)


def describe_condition(condition: Condition) -> str:
    """A condition as a short human sentence, e.g. `subject contains 'invoice'`."""
    text = f"{condition.field} {condition.operator}"
    if condition.value is not None:
        text += f" {condition.value!r}"
    return text + (" (case-sensitive)" if condition.case_sensitive else "")


class CompiledCondition:
    """A condition ready to run: the slot its value comes from and the predicate that tests it."""

    __slots__ = ("description", "hit_entry", "miss_entry", "negate", "number", "predicate", "slot")
    hit_entry: TraceEntry  # set by the CompiledRule that owns the condition
    miss_entry: TraceEntry

    def __init__(self, number: int, description: str, slot: int, predicate: Predicate, negate: bool) -> None:
        self.number = number
        self.description = description
        self.slot = slot
        self.predicate = predicate
        self.negate = negate


class CompiledRule:
    """A rule ready to run, with the trace entries of its ordinary outcomes prepared."""

    __slots__ = (
        "actions",
        "capture_searches",
        "conditions",
        "evaluate",
        "fills_placeholders",
        "hit_entry",
        "miss_entry",
        "rule",
        "skip_followup",
        "skip_new",
        "source",
    )

    def __init__(
        self,
        rule: Rule,
        conditions: tuple[CompiledCondition, ...],
        actions: tuple[tuple[ActionType, Any], ...],
        capture_searches: tuple[tuple[Search, int], ...] = (),
    ) -> None:
        self.rule = rule
        self.conditions = conditions
        self.actions = actions
        self.fills_placeholders = any(uses_placeholders(value) for _, value in actions)
        self.capture_searches = capture_searches
        self.source = f"rule {rule.label}"
        self.hit_entry = self.entry(
            HIT, "all conditions matched" if conditions else "no conditions: every mail"
        )
        self.miss_entry = self.entry(MISS, "no condition matched" if conditions else "no conditions to match")
        for condition in conditions:
            number, description = condition.number, condition.description
            condition.hit_entry = self.entry(HIT, f"condition {number} matched: {description}")
            condition.miss_entry = self.entry(MISS, f"condition {number} failed: {description}")
        self.skip_new = self._skip_entry(followup=False)
        self.skip_followup = self._skip_entry(followup=True)
        self.evaluate: Callable[[list[Any]], TraceEntry] = self.bind_evaluator()

    def bind_evaluator(self) -> Callable[[list[Any]], TraceEntry]:
        """The evaluate function for this rule (rebound by compile_rules once conditions are final)."""
        match_any = self.rule.match == "any"
        if len(self.conditions) == 1:
            return self._single_condition_evaluator(self.conditions[0], match_any)
        return self._evaluate_any if match_any else self._evaluate_all

    def filled_actions(self, values: list[Any]) -> tuple[list[tuple[ActionType, Any]], list[str]]:
        """The actions with match placeholders filled in, and why any of them had to be left out."""
        captures = collect((search, values[slot]) for search, slot in self.capture_searches)
        filled, problems = [], []
        for number, (action_type, value) in enumerate(self.actions, start=1):
            if uses_placeholders(value):
                try:
                    value = action_type.validate(fill(value, captures))
                except ValueError as error:
                    problems.append(f"action {number} left out after filling placeholders: {error}")
                    continue
            filled.append((action_type, value))
        return filled, problems

    def entry(self, outcome: str, reason: str) -> TraceEntry:
        """A trace entry for this rule."""
        return TraceEntry(self.rule.id, self.rule.name, self.rule.position, outcome, reason)

    def _skip_entry(self, followup: bool) -> TraceEntry | None:
        """The entry recorded when the rule is not evaluated for a new mail / a follow-up, or None."""
        if not self.rule.enabled:
            return self.entry(SKIPPED, "disabled")
        if followup and self.rule.applies_to == "new":
            return self.entry(SKIPPED, "applies to new tickets only; this mail is a follow-up")
        if not followup and self.rule.applies_to == "followup":
            return self.entry(SKIPPED, "applies to follow-ups only; this mail opens a new ticket")
        return None

    def _single_condition_evaluator(
        self, condition: CompiledCondition, match_any: bool
    ) -> Callable[[list[Any]], TraceEntry]:
        """A closure evaluating the most common rule shape, one condition, with the least overhead."""
        slot, predicate, negate = condition.slot, condition.predicate, condition.negate
        hit = condition.hit_entry if match_any else self.hit_entry
        miss = self.miss_entry if match_any else condition.miss_entry
        timeout_entry = self._timeout_entry

        def evaluate(values: list[Any]) -> TraceEntry:
            try:
                matched = predicate(values[slot])
            except TimeoutError:
                return timeout_entry([condition])
            return miss if bool(matched) is negate else hit

        return evaluate

    def _evaluate_all(self, values: list[Any]) -> TraceEntry:
        """Match mode all: the first condition that fails makes a miss."""
        for condition in self.conditions:
            try:
                matched = condition.predicate(values[condition.slot])
            except TimeoutError:
                return self._timeout_entry([condition])
            if bool(matched) is condition.negate:
                return condition.miss_entry
        return self.hit_entry

    def _evaluate_any(self, values: list[Any]) -> TraceEntry:
        """Match mode any: the first condition that holds makes a hit."""
        timed_out = []
        for condition in self.conditions:
            try:
                matched = condition.predicate(values[condition.slot])
            except TimeoutError:
                timed_out.append(condition)
                continue
            if bool(matched) is not condition.negate:
                return condition.hit_entry
        return self._timeout_entry(timed_out) if timed_out else self.miss_entry

    def _timeout_entry(self, conditions: list[CompiledCondition]) -> TraceEntry:
        """A miss caused by regexes that ran over their time budget."""
        reasons = [
            f"condition {c.number} counted as a miss: regex timed out ({c.description})" for c in conditions
        ]
        return self.entry(MISS, "; ".join(reasons))


@dataclass(frozen=True)
class RuleSet:
    """Compiled rules in evaluation order (position, then the order given), and the fields they read."""

    rules: tuple[CompiledRule, ...]
    slots: tuple[FieldSlot, ...]
    gates: tuple[RegexGate, ...]
    registries: Registries
    regex_timeout: float

    def __len__(self) -> int:
        return len(self.rules)

    def load(self, facts: MailFacts) -> list[Any]:
        """Every field value the rules need from this mail, by slot (gate slots after field slots)."""
        values: list[Any] = [slot.load(facts) for slot in self.slots]
        values.extend([gate.load(values) for gate in self.gates])
        return values


class _Compiler:
    """Compiles rules one by one, sharing field slots and collecting every problem."""

    def __init__(self, registries: Registries, timeout: float) -> None:
        self.registries = registries
        self.timeout = timeout
        self.slots: dict[tuple[str, str, bool], int] = {}
        self.slot_list: list[FieldSlot] = []
        self.problems: list[str] = []
        self.regex_groups: dict[tuple[int, bool], list[tuple[CompiledCondition, str]]] = {}

    def rule(self, rule: Rule) -> CompiledRule | None:
        """One rule compiled, or None after recording its problems."""
        before = len(self.problems)
        where = f"rule {rule.label}"
        self.problems.extend(f"{where}: {problem}" for problem in rule_setting_problems(rule))
        conditions = [
            self.condition(number, condition, f"{where}, condition {number}")
            for number, condition in enumerate(rule.conditions, 1)
        ]
        actions = [
            self.action(action.action, action.value, f"{where}, action {number}")
            for number, action in enumerate(rule.actions, 1)
        ]
        if len(self.problems) > before:
            return None
        compiled_conditions = tuple(c for c in conditions if c)
        compiled_actions = tuple(a for a in actions if a)
        searches: tuple[tuple[Search, int], ...] = ()
        if any(uses_placeholders(value) for _, value in compiled_actions):
            searches = self.capture_searches(rule, compiled_conditions)
        return CompiledRule(rule, compiled_conditions, compiled_actions, searches)

    def capture_searches(
        self, rule: Rule, conditions: tuple[CompiledCondition, ...]
    ) -> tuple[tuple[Search, int], ...]:
        """Plain searches (with their value slots) of the rule's positive regex conditions, in order."""
        searches = []
        for condition, compiled in zip(rule.conditions, conditions, strict=True):
            operator = self.registries.operators.get(condition.operator)
            if operator.takes_pattern and not operator.negated and condition.value is not None:
                pattern = compile_pattern(condition.value, condition.case_sensitive)
                searches.append((partial(pattern.search, timeout=self.timeout), compiled.slot))
        return tuple(searches)

    def condition(self, number: int, condition: Condition, where: str) -> CompiledCondition | None:
        """One condition compiled, or None after recording what is wrong with it."""
        try:
            field_name, argument = split_field(condition.field)
            field_type = self.registries.fields.get(field_name)
            operator = self.registries.operators.get(condition.operator)
            check_condition_shape(condition, field_type, argument, operator)
            build = operator.predicate if field_type.single else operator.any_predicate
            predicate = build(condition.value or "", condition.case_sensitive, self.timeout)
        except (UnknownNameError, ValueError, TypeError, AttributeError) as error:
            self.problems.append(f"{where}: {error}")
            return None
        slot = self.slot(field_type, argument, operator.folds_case and not condition.case_sensitive)
        compiled = CompiledCondition(number, describe_condition(condition), slot, predicate, operator.negated)
        if operator.takes_pattern and condition.value is not None and combinable(condition.value):
            group = self.regex_groups.setdefault((slot, condition.case_sensitive), [])
            group.append((compiled, condition.value))
        return compiled

    def gates(self) -> tuple[RegexGate, ...]:
        """Gates for every slot read by several combinable regexes; their conditions now read the gate."""
        gates: list[RegexGate] = []
        for (slot, case_sensitive), group in self.regex_groups.items():
            for start in range(0, len(group), GATE_SIZE):
                self.gate(slot, case_sensitive, group[start : start + GATE_SIZE], gates)
        return tuple(gates)

    def gate(
        self,
        slot: int,
        case_sensitive: bool,
        members: list[tuple[CompiledCondition, str]],
        gates: list[RegexGate],
    ) -> None:
        """Add a gate for these regex conditions and point them at its slot (if it is worth one)."""
        if len(members) >= MIN_GATED_PATTERNS:
            single = self.slot_list[slot].field_type.single
            gate = build_gate(slot, single, [pattern for _, pattern in members], case_sensitive, self.timeout)
            if gate is not None:
                for condition, _ in members:
                    condition.slot = len(self.slot_list) + len(gates)
                    condition.predicate = gated(condition.predicate)
                gates.append(gate)

    def slot(self, field_type: FieldType, argument: str, folded: bool) -> int:
        """The index of the slot holding this field's value, added on first use."""
        key = (field_type.name, field_type.cache_key(argument), folded)
        if key not in self.slots:
            self.slots[key] = len(self.slot_list)
            self.slot_list.append(FieldSlot(field_type, argument, folded))
        return self.slots[key]

    def action(self, name: str, value: object, where: str) -> tuple[ActionType, Any] | None:
        """One action resolved and its value validated, or None after recording the problem."""
        try:
            action_type = self.registries.actions.get(name)
            return action_type, action_type.validate(value)
        except (UnknownNameError, ValueError, TypeError) as error:
            self.problems.append(f"{where}: {error}")
            return None


def compile_rules(
    rules: Sequence[Rule],
    *,
    registries: Registries | None = None,
    regex_timeout: float = DEFAULT_REGEX_TIMEOUT,
    gate_regexes: bool = True,
) -> RuleSet:
    """Validate and compile rules; RuleValidationError lists every problem, each naming its rule.

    regex_timeout bounds each regex search (seconds); gate_regexes=False turns off the combined
    pre-searches (same results, slower with many regexes; for comparison and debugging).
    """
    compiler = _Compiler(registries or Registries(), regex_timeout)
    compiled: list[tuple[int, int, CompiledRule]] = []
    for index, rule in enumerate(rules):
        result = compiler.rule(rule)
        if result is not None:
            compiled.append((rule.position, index, result))
    if compiler.problems:
        raise RuleValidationError(compiler.problems)
    compiled.sort(key=lambda item: (item[0], item[1]))
    ordered = tuple(item[2] for item in compiled)
    gates = compiler.gates() if gate_regexes else ()
    for compiled_rule in ordered:  # gates re-pointed some conditions: bind the final ones
        compiled_rule.evaluate = compiled_rule.bind_evaluator()
    return RuleSet(ordered, tuple(compiler.slot_list), gates, compiler.registries, regex_timeout)


def rule_setting_problems(rule: Rule) -> list[str]:
    """Problems with a rule's own settings (not its conditions or actions)."""
    problems = []
    if not isinstance(rule.name, str) or not rule.name.strip():
        problems.append("the name must be a non-empty text")
    if rule.applies_to not in APPLIES_TO:
        problems.append(f"applies_to must be one of {', '.join(APPLIES_TO)}, not {rule.applies_to!r}")
    if rule.match not in MATCH_MODES:
        problems.append(f"match must be one of {', '.join(MATCH_MODES)}, not {rule.match!r}")
    for flag in ("enabled", "stop_after_match"):
        if not isinstance(getattr(rule, flag), bool):
            problems.append(f"{flag} must be true or false")
    if isinstance(rule.position, bool) or not isinstance(rule.position, int):
        problems.append(f"position must be an integer, not {rule.position!r}")
    return problems


def check_condition_shape(
    condition: Condition, field_type: FieldType, argument: str, operator: Operator
) -> None:
    """ValueError when the field's argument or the operator's value is missing, extra or mistyped."""
    if field_type.takes_argument and not argument:
        raise ValueError(f"field {field_type.name!r} needs a name, e.g. '{field_type.name}:X-Spam-Flag'")
    if argument and not field_type.takes_argument:
        raise ValueError(f"field {field_type.name!r} takes no ':{argument}'")
    if operator.takes_value and not isinstance(condition.value, str):
        raise ValueError(f"operator {operator.name!r} needs a text value, got {condition.value!r}")
    if not operator.takes_value and condition.value is not None:
        raise ValueError(f"operator {operator.name!r} takes no value, got {condition.value!r}")
    if not isinstance(condition.case_sensitive, bool):
        raise ValueError(f"case_sensitive must be true or false, got {condition.case_sensitive!r}")
