"""The outcome of routing one mail: what to do with it, and the trace of every rule considered."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final, NamedTuple

HIT: Final = "hit"
MISS: Final = "miss"
SKIPPED: Final = "skipped"

QueueRef = int | str
SETTABLE: Final = frozenset(
    {"queue", "priority", "state", "type", "owner", "responsible", "customer", "title"}
    | {"suppress_auto_reply", "ignore", "junk"}
)


class TraceEntry(NamedTuple):
    """One rule considered for a mail: hit, miss or skipped, and why."""

    rule_id: int | str | None
    rule_name: str
    position: int
    outcome: str
    reason: str


@dataclass(frozen=True)
class Decision:
    """What routing decided for one mail; None means no rule or default said anything."""

    queue: QueueRef | None = None
    queue_source: str = ""
    priority: QueueRef | None = None
    state: str | None = None
    type: str | None = None
    owner: QueueRef | None = None
    responsible: QueueRef | None = None
    customer: str | None = None
    title: str | None = None
    tags: tuple[str, ...] = ()
    dynamic_fields: Mapping[str, str] = field(default_factory=dict)
    suppress_auto_reply: bool = False
    ignore: bool = False
    junk: bool = False
    sources: Mapping[str, str] = field(default_factory=dict)
    trace: tuple[TraceEntry, ...] = ()

    @property
    def hits(self) -> tuple[TraceEntry, ...]:
        """The trace entries of rules that hit."""
        return tuple(entry for entry in self.trace if entry.outcome == HIT)

    def trace_dicts(self) -> list[dict[str, object]]:
        """The trace as plain dicts (rule_id, rule_name, position, outcome, reason), e.g. for JSON."""
        return [dict(entry._asdict()) for entry in self.trace]

    @property
    def misses(self) -> tuple[TraceEntry, ...]:
        """The trace entries of rules that were evaluated and missed."""
        return tuple(entry for entry in self.trace if entry.outcome == MISS)


class DecisionBuilder:
    """The mutable state actions write into while rules run; frozen into a Decision at the end."""

    def __init__(self) -> None:
        self.queue: QueueRef | None = None
        self.priority: QueueRef | None = None
        self.state: str | None = None
        self.type: str | None = None
        self.owner: QueueRef | None = None
        self.responsible: QueueRef | None = None
        self.customer: str | None = None
        self.title: str | None = None
        self.suppress_auto_reply = False
        self.ignore = False
        self.junk = False
        self.tags: list[str] = []
        self.dynamic_fields: dict[str, str] = {}
        self.sources: dict[str, str] = {}
        self.trace: list[TraceEntry] = []

    def set(self, attribute: str, value: object, source: str) -> None:
        """Set one decision attribute (later rules override earlier ones) and remember who set it."""
        if attribute not in SETTABLE:
            raise AttributeError(f"a decision has no settable attribute {attribute!r}")
        setattr(self, attribute, value)
        self.sources[attribute] = source

    def add_tags(self, tags: tuple[str, ...], source: str) -> None:
        """Add tags, keeping the first occurrence of each."""
        for tag in tags:
            if tag not in self.tags:
                self.tags.append(tag)
        self.sources["tags"] = source

    def set_dynamic_field(self, name: str, value: str, source: str) -> None:
        """Set a dynamic field value."""
        self.dynamic_fields[name] = value
        self.sources[f"dynamic_field:{name}"] = source

    def build(self, queue: QueueRef | None, queue_source: str) -> Decision:
        """The finished, immutable Decision, with the queue chosen by the caller."""
        return Decision(
            queue=queue,
            queue_source=queue_source,
            priority=self.priority,
            state=self.state,
            type=self.type,
            owner=self.owner,
            responsible=self.responsible,
            customer=self.customer,
            title=self.title,
            tags=tuple(self.tags),
            dynamic_fields=MappingProxyType(dict(self.dynamic_fields)),
            suppress_auto_reply=self.suppress_auto_reply,
            ignore=self.ignore,
            junk=self.junk,
            sources=MappingProxyType(dict(self.sources)),
            trace=tuple(self.trace),
        )
