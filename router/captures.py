r"""Match placeholders in action values, as Znuny's filters have them.

An action value may contain `[***]`, replaced by the first group of the last regex condition of the
rule that captured one, and `[**\name**]`, replaced by the named group `name` of those regexes.
Values without placeholders are applied as they are, at no cost.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import regex

PLACEHOLDER: Final = regex.compile(r"\[\*\*\*\]|\[\*\*\s*\\(\w+)\s*\*\*\]")
Search = Callable[[str], "regex.Match[str] | None"]


@dataclass
class Captures:
    """What a rule's regexes captured from one mail."""

    first: str = ""
    named: dict[str, str] = field(default_factory=dict)

    def add(self, match: regex.Match[str]) -> None:
        """Take group 1 (when it captured text) and every named group that took part."""
        if match.re.groups and match.group(1):
            self.first = match.group(1)
        self.named.update({name: text for name, text in match.groupdict().items() if text is not None})


def uses_placeholders(value: object) -> bool:
    """Whether an action value (text, list of texts or mapping of texts) holds a placeholder."""
    if isinstance(value, str):
        return PLACEHOLDER.search(value) is not None
    if isinstance(value, tuple | list):
        return any(uses_placeholders(item) for item in value)
    if isinstance(value, Mapping):
        return any(uses_placeholders(item) for item in value.values())
    return False


def collect(searches: Iterable[tuple[Search, Any]]) -> Captures:
    """Run each (search, field value) pair in order, keeping what they capture; timeouts capture nothing."""
    captures = Captures()
    for search, value in searches:
        for text in (value,) if isinstance(value, str) else value:
            try:
                match = search(text)
            except TimeoutError:
                break
            if match is not None:
                captures.add(match)
                break
    return captures


def fill(value: object, captures: Captures) -> object:
    """The value with its placeholders replaced (texts inside lists and mappings too)."""
    if isinstance(value, str):
        return PLACEHOLDER.sub(lambda match: _replacement(match, captures), value)
    if isinstance(value, tuple | list):
        return tuple(fill(item, captures) for item in value)
    if isinstance(value, Mapping):
        return {key: fill(item, captures) for key, item in value.items()}
    return value


def _replacement(match: regex.Match[str], captures: Captures) -> str:
    """What one placeholder stands for ('' when nothing was captured)."""
    name = match.group(1)
    return captures.first if name is None else captures.named.get(name, "")
