"""Exceptions raised by the routing package (its own root: router imports nothing from mailgate)."""

from __future__ import annotations

from collections.abc import Sequence


class RouterError(Exception):
    """Root of every error the router raises."""


class DuplicateNameError(RouterError):
    """A registry was asked to register a second item under a name it already holds."""


class UnknownNameError(RouterError, KeyError):
    """A registry has no item under the requested name."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class RuleValidationError(RouterError, ValueError):
    """One or more rules are malformed; every problem is listed, each naming its rule."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(self.problems))
