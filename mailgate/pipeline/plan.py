"""What the pipeline will do with one mail: the result of matching, policy and routing, as one value."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from mailgate.agentmail.model import AgentAnswer
from router import Decision

Outcome = Literal[
    "new_ticket", "followup", "rejected", "bounce", "loop", "ignored",
    "agent_reply", "agent_note", "agent_reply_refused",  # an agent's answer by mail (mailgate.agentmail)
]  # fmt: skip


@dataclass(slots=True)
class Plan:
    """Everything apply() needs to write, plus the trace that explains it."""

    outcome: Outcome
    ticket_id: int | None = None
    linked_ticket_id: int | None = None
    queue_id: int | None = None
    state: str | None = None
    priority: int | str | None = None
    type: str | None = None
    owner: int | None = None
    responsible: int | None = None
    customer: str | None = None
    title: str | None = None
    tags: tuple[str, ...] = ()
    sender_type: str = "customer"
    visible_for_customer: bool = True
    lock: bool = False
    auto_response: str | None = None
    followup_step: str | None = None
    trace: dict[str, Any] = field(default_factory=dict)
    route_decision: Decision | None = field(default=None, repr=False)
    agent: AgentAnswer | None = field(default=None, repr=False)  # set for the agent_* outcomes

    @property
    def stores_article(self) -> bool:
        """Loops and ignored mail are recorded in the spool and the decision table only."""
        return self.outcome not in ("loop", "ignored")
