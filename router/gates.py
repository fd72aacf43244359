"""Regex gates: one combined search per field tells when none of many rule regexes can match.

Calling a `regex` pattern with a timeout has a fixed cost of a few microseconds, which dominates
with hundreds of regex rules on short fields (subject, addresses, headers). A gate joins the
patterns that read the same field into one alternation; when it finds nothing in the mail's value,
no single pattern can match, and their conditions fail without being run. When the gate does
match, times out, or the value is long (a body, where one big alternation is slower than the
separate searches), every condition runs its own search as usual. Results are identical either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import regex

from router.operators import Predicate, compile_pattern

# Patterns whose meaning could change inside a larger alternation: back-references, recursion,
# and inline flag groups (global flags would spill over to the other patterns).
NOT_COMBINABLE: Final = regex.compile(r"\\[1-9gkG]|\(\?(?!:|=|!|<=|<!|P?<[A-Za-z_])")
GATE_MAX_CHARS: Final = 512
MIN_GATED_PATTERNS: Final = 2
GATE_SIZE: Final = 16  # patterns per gate: one matching pattern only sends its own gate's group the long way


def combinable(pattern: str) -> bool:
    """Whether a pattern keeps its meaning when joined with others as `(?:a)|(?:b)`."""
    return NOT_COMBINABLE.search(pattern) is None


@dataclass(frozen=True)
class RegexGate:
    """A combined search over one slot's value; its own slot holds (value, may_match)."""

    base_slot: int
    single: bool
    pattern: regex.Pattern[str]
    timeout: float

    def load(self, values: Sequence[Any]) -> tuple[Any, bool]:
        """The base value and whether any of the gated patterns may match it."""
        value = values[self.base_slot]
        texts = (value,) if self.single else value
        if sum(map(len, texts)) > GATE_MAX_CHARS:
            return value, True
        try:
            return value, any(self.pattern.search(text, timeout=self.timeout) for text in texts)
        except TimeoutError:
            return value, True


def build_gate(
    base_slot: int, single: bool, patterns: Sequence[str], case_sensitive: bool, timeout: float
) -> RegexGate | None:
    """A gate over the patterns, or None when they cannot be joined into one valid regex."""
    try:
        combined = compile_pattern("|".join(f"(?:{pattern})" for pattern in patterns), case_sensitive)
    except ValueError:
        return None
    return RegexGate(base_slot, single, combined, timeout)


def gated(predicate: Predicate) -> Predicate:
    """A predicate over a gate slot's (value, may_match): the original search, run only if needed."""
    return lambda pair: pair[1] and predicate(pair[0])
