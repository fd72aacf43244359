"""Condition operators: each a small named class that turns a configured value into a predicate.

A predicate takes one field value (case-folded beforehand when the condition is case-insensitive
and the operator compares text) and says whether it satisfies the operator. Only the ``regex``
operator treats its value as a pattern; the others compare plain text, so configured text never
reaches a regex engine. Regex searches are bounded in time; the `regex` package raises
TimeoutError when a search runs over budget, and the rule engine counts that as a miss.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import regex

from router.registry import Registry

Predicate = Callable[[Any], object]


class Operator:
    """Base of all operators; subclasses set name and implement predicate."""

    name: str
    takes_value: bool = True
    folds_case: bool = True
    negated: bool = False
    takes_pattern: bool = False

    def predicate(self, value: str, case_sensitive: bool, timeout: float) -> Predicate:
        """A test of one field value; ValueError when the configured value is unusable."""
        raise NotImplementedError

    def any_predicate(self, value: str, case_sensitive: bool, timeout: float) -> Predicate:
        """A test of a tuple of field values: true when any value passes."""
        test = self.predicate(value, case_sensitive, timeout)
        return lambda values: any(map(test, values))


def _needle(value: str, case_sensitive: bool) -> str:
    """The configured text, case-folded unless the condition is case-sensitive."""
    return value if case_sensitive else value.casefold()


class EqualsOperator(Operator):
    """The value equals the text."""

    name = "equals"

    def predicate(self, value: str, case_sensitive: bool, timeout: float) -> Predicate:
        """Equality with the text."""
        return _needle(value, case_sensitive).__eq__

    def any_predicate(self, value: str, case_sensitive: bool, timeout: float) -> Predicate:
        """Membership of the text among the values."""
        needle = _needle(value, case_sensitive)
        return lambda values: needle in values


class ContainsOperator(Operator):
    """The value contains the text."""

    name = "contains"

    def predicate(self, value: str, case_sensitive: bool, timeout: float) -> Predicate:
        """Substring test."""
        needle = _needle(value, case_sensitive)
        return lambda candidate: needle in candidate


class StartsWithOperator(Operator):
    """The value starts with the text."""

    name = "starts_with"

    def predicate(self, value: str, case_sensitive: bool, timeout: float) -> Predicate:
        """Prefix test."""
        needle = _needle(value, case_sensitive)
        return lambda candidate: candidate.startswith(needle)


class EndsWithOperator(Operator):
    """The value ends with the text."""

    name = "ends_with"

    def predicate(self, value: str, case_sensitive: bool, timeout: float) -> Predicate:
        """Suffix test."""
        needle = _needle(value, case_sensitive)
        return lambda candidate: candidate.endswith(needle)


def compile_pattern(pattern: str, case_sensitive: bool) -> regex.Pattern[str]:
    """Compile a rule's pattern with the `regex` package; ValueError says what is wrong with it."""
    flags = regex.V0 if case_sensitive else regex.V0 | regex.IGNORECASE
    try:
        return regex.compile(pattern, flags)
    except (regex.error, TypeError, ValueError) as error:
        raise ValueError(f"invalid regex {pattern!r}: {error}") from None


class RegexOperator(Operator):
    """The value contains a match of the pattern (searched within the time budget)."""

    name = "regex"
    folds_case = False
    takes_pattern = True

    def predicate(self, value: str, case_sensitive: bool, timeout: float) -> Predicate:
        """A search bounded by timeout seconds; raises TimeoutError when over budget."""
        return partial(compile_pattern(value, case_sensitive).search, timeout=timeout)


class ExistsOperator(Operator):
    """The field has a value: a header is present, a subject or address is not empty."""

    name = "exists"
    takes_value = False
    folds_case = False

    def predicate(self, value: str, case_sensitive: bool, timeout: float) -> Predicate:
        """Non-empty test."""
        return bool

    def any_predicate(self, value: str, case_sensitive: bool, timeout: float) -> Predicate:
        """At least one value (even an empty header counts as present)."""
        return bool


class NegatedOperator(Operator):
    """The negation of another operator, registered as `not_<name>`; the engine inverts the result.

    For several values (To, a repeated header) the negation holds when no value passes.
    """

    name = ""
    negated = True

    def __init__(self, positive: Operator) -> None:
        self.positive = positive
        self.name = f"not_{positive.name}"
        self.takes_value = positive.takes_value
        self.folds_case = positive.folds_case
        self.takes_pattern = positive.takes_pattern

    def predicate(self, value: str, case_sensitive: bool, timeout: float) -> Predicate:
        """The positive operator's predicate (inverted by the engine)."""
        return self.positive.predicate(value, case_sensitive, timeout)

    def any_predicate(self, value: str, case_sensitive: bool, timeout: float) -> Predicate:
        """The positive operator's predicate over several values (inverted by the engine)."""
        return self.positive.any_predicate(value, case_sensitive, timeout)


POSITIVE_OPERATORS: tuple[type[Operator], ...] = (
    EqualsOperator,
    ContainsOperator,
    StartsWithOperator,
    EndsWithOperator,
    RegexOperator,
    ExistsOperator,
)


def default_operators() -> Registry[Operator]:
    """A fresh registry with every built-in operator and its `not_` negation."""
    registry: Registry[Operator] = Registry("operator")
    for operator_type in POSITIVE_OPERATORS:
        positive = registry.register(operator_type())
        registry.register(NegatedOperator(positive))
    return registry
