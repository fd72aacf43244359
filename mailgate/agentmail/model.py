"""Values agent-mail planning hands to the writer: the verified answer and what to do with it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

AgentOutcome = Literal["agent_reply", "agent_note", "agent_reply_refused"]
AGENT_OUTCOMES: frozenset[str] = frozenset({"agent_reply", "agent_note", "agent_reply_refused"})


@dataclass(frozen=True, slots=True)
class StoredHeaders:
    """The headers stored with an answer that goes to the customer: from the queue, to the customer."""

    sender: str
    sender_name: str
    to: str
    subject: str
    message_id: str
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AgentAnswer:
    """An answer by mail to an agent notification: who, on which ticket, and what becomes of it.

    ``refused`` holds the reason when the mail must never be relayed (stored internal and flagged);
    ``relay_to`` is empty unless the answer goes to the customer.
    """

    ticket_id: int
    user_id: int | None
    address: str
    text: str
    sender_type: str = "agent"
    relay_to: tuple[str, ...] = ()
    state: str | None = None
    pending_for: timedelta | None = None
    commands: tuple[str, ...] = ()
    refused: str | None = None
    note_reason: str | None = None
    headers: StoredHeaders | None = None

    @property
    def outcome(self) -> AgentOutcome:
        """agent_reply_refused, agent_reply (sent to the customer) or agent_note (internal)."""
        if self.refused is not None:
            return "agent_reply_refused"
        return "agent_reply" if self.relay_to else "agent_note"

    @property
    def why(self) -> str:
        """One line for people: why it was refused, why it stays internal, or to whom it goes."""
        if self.refused is not None:
            return f"not relayed: {self.refused}"
        if self.note_reason is not None:
            return f"internal note: {self.note_reason}"
        return f"relayed to {', '.join(self.relay_to)}"
