"""Rules as data: a Rule holds Conditions and Actions, all plain frozen values."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

AppliesTo = Literal["new", "followup", "both"]
MatchMode = Literal["all", "any"]
APPLIES_TO: Final = ("new", "followup", "both")
MATCH_MODES: Final = ("all", "any")


@dataclass(frozen=True, slots=True)
class Condition:
    """One test: a field of the mail, an operator and (except for exists) a value."""

    field: str
    operator: str
    value: str | None = None
    case_sensitive: bool = False


@dataclass(frozen=True, slots=True)
class Action:
    """One effect of a hit rule, such as set_queue with its value."""

    action: str
    value: object = True

    def __post_init__(self) -> None:
        if isinstance(self.value, list):  # lists from YAML/JSON compare equal to the tuples code uses
            object.__setattr__(self, "value", tuple(self.value))


@dataclass(frozen=True, slots=True)
class Rule:
    """An admin's routing rule: when its conditions hit, its actions apply."""

    name: str
    conditions: Sequence[Condition] = ()
    actions: Sequence[Action] = ()
    id: int | str | None = None
    position: int = 0
    enabled: bool = True
    stop_after_match: bool = False
    applies_to: AppliesTo = "both"
    match: MatchMode = "all"
    description: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "conditions", tuple(self.conditions))
        object.__setattr__(self, "actions", tuple(self.actions))

    @property
    def label(self) -> str:
        """How traces and errors name this rule: its name, and its id when it has one."""
        return f"{self.name!r}" if self.id is None else f"{self.name!r} (id {self.id})"
