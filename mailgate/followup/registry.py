"""The registry of follow-up steps: small named classes, looked up by the names in configuration."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from typing import ClassVar

from mailgate.errors import ConfigError, MailgateError
from mailgate.followup.model import FollowupContext, StepResult
from parsers.model import ParsedMessage


class DuplicateStepError(MailgateError):
    """Two follow-up steps were registered under one name."""


class UnknownStepError(ConfigError):
    """The configured chain names a step that is not registered."""


class FollowupStep(ABC):
    """One way to find the ticket a mail belongs to."""

    name: ClassVar[str]
    trusted: ClassVar[bool]
    """True if a match proves the sender was part of the conversation (no party check needed)."""

    @abstractmethod
    def run(self, parsed: ParsedMessage, context: FollowupContext) -> StepResult:
        """Look for the ticket; never raises for bad input (look-up errors do propagate)."""


class StepRegistry:
    """Step classes by name; refuses a second class under a name already taken."""

    def __init__(self, steps: Iterable[type[FollowupStep]] = ()) -> None:
        """Start with the given step classes."""
        self._steps: dict[str, type[FollowupStep]] = {}
        for step in steps:
            self.register(step)

    def register(self, step: type[FollowupStep]) -> type[FollowupStep]:
        """Add a step class (usable as a decorator); raises DuplicateStepError on a name clash."""
        if step.name in self._steps:
            raise DuplicateStepError(f"follow-up step {step.name!r} is already registered")
        self._steps[step.name] = step
        return step

    def create(self, name: str) -> FollowupStep:
        """A new instance of the step called ``name``."""
        try:
            return self._steps[name]()
        except KeyError:
            known = ", ".join(sorted(self._steps))
            raise UnknownStepError(f"unknown follow-up step {name!r} (known: {known})") from None

    def names(self) -> list[str]:
        """The registered names, sorted."""
        return sorted(self._steps)

    def __contains__(self, name: object) -> bool:
        """True if a step of this name is registered."""
        return name in self._steps

    def __iter__(self) -> Iterator[str]:
        """Iterate over the registered names."""
        return iter(self.names())
