"""The follow-up chain: steps named in configuration, tried in order, every outcome recorded."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mailgate.errors import ConfigError
from mailgate.followup.model import FollowupContext, FollowupResult, StepTrace
from mailgate.followup.registry import FollowupStep, StepRegistry
from mailgate.followup.steps import BUILTIN_STEPS
from parsers.model import ParsedMessage

DEFAULT_CHAIN: tuple[str, ...] = ("trusted_header", "token", "message_id", "subject_number")
"""``body_number`` is left out on purpose: quoted text carries numbers of unrelated tickets."""


def default_registry() -> StepRegistry:
    """A fresh registry holding the built-in steps."""
    return StepRegistry(BUILTIN_STEPS)


@dataclass(frozen=True, slots=True)
class FollowupChain:
    """An ordered tuple of step instances."""

    steps: tuple[FollowupStep, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """The step names, in order."""
        return tuple(step.name for step in self.steps)


def build_chain(names: Sequence[str] = DEFAULT_CHAIN, registry: StepRegistry | None = None) -> FollowupChain:
    """The chain of the named steps; unknown or repeated names are a configuration error."""
    registry = registry if registry is not None else default_registry()
    if len(set(names)) != len(names):
        raise ConfigError(f"follow-up chain lists a step twice: {list(names)}")
    return FollowupChain(tuple(registry.create(name) for name in names))


def match(parsed: ParsedMessage, context: FollowupContext, chain: FollowupChain) -> FollowupResult:
    """Try each step until one finds the ticket; the trace shows every step and why it hit or missed."""
    trace: list[StepTrace] = []
    for index, step in enumerate(chain.steps):
        result = step.run(parsed, context)
        trace.append(StepTrace(step.name, result.outcome, result.reason))
        if result.outcome == "matched" and result.ticket_id is not None:
            later = (
                StepTrace(item.name, "skipped", f"not tried: {step.name!r} matched")
                for item in chain.steps[index + 1 :]
            )
            return FollowupResult(
                ticket_id=result.ticket_id,
                step=step.name,
                trusted=step.trusted,
                trace=(*trace, *later),
                ticket_number=result.ticket_number,
                agent_user_id=result.agent_user_id,
            )
    return FollowupResult(ticket_id=None, step=None, trusted=False, trace=tuple(trace))
