"""Values that follow-up matching takes and returns, and the lookups the caller provides."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal, Protocol

from mailgate.settings import Settings
from mailgate.ticketnumber import DEFAULT_HOOK, DEFAULT_HOOK_DIVIDER
from mailgate.tokens import require_secret

Outcome = Literal["matched", "missed", "skipped"]


class TicketLookups(Protocol):
    """Database look-ups the pipeline implements; matching itself never touches the database."""

    def find_ticket_by_message_ids(self, md5s: list[str]) -> int | None:
        """The ticket of the first stored article whose ``a_message_id_md5`` is in ``md5s`` (order kept)."""
        ...

    def find_ticket_by_number(self, tn: str) -> int | None:
        """The id of the ticket whose ``tn`` this is; for a merged ticket, the ticket it was merged into."""
        ...

    def ticket_exists(self, ticket_id: int) -> bool:
        """True if a ticket with this id exists (a signed token may outlive its ticket)."""
        ...


@dataclass(frozen=True, slots=True)
class FollowupContext:
    """Everything besides the mail that matching needs: configuration, trust, and the look-ups."""

    secret: str
    system_id: str
    lookups: TicketLookups
    hook: str = DEFAULT_HOOK
    hook_divider: str = DEFAULT_HOOK_DIVIDER
    system_addresses: frozenset[str] = frozenset()
    trusted: bool = False
    envelope_recipients: tuple[str, ...] = ()
    today: date | None = None
    max_references: int = 50
    max_body_chars: int = 200_000

    def __post_init__(self) -> None:
        """Refuse an empty secret (MissingSecretError): tokens could be neither issued nor checked."""
        require_secret(self.secret)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        lookups: TicketLookups,
        system_addresses: frozenset[str],
        *,
        trusted: bool = False,
        envelope_recipients: tuple[str, ...] = (),
        today: date | None = None,
    ) -> FollowupContext:
        """The context for one mail, with secret and SystemID taken from the settings."""
        return cls(
            secret=settings.secret_key,
            system_id=settings.system_id,
            lookups=lookups,
            system_addresses=system_addresses,
            trusted=trusted,
            envelope_recipients=envelope_recipients,
            today=today,
        )

    def is_system_address(self, address: str) -> bool:
        """True if ``address`` is one of our system addresses (case-insensitive)."""
        return address.strip().lower() in {item.lower() for item in self.system_addresses}


@dataclass(frozen=True, slots=True)
class StepResult:
    """What one step found: a ticket, or why not."""

    outcome: Outcome
    reason: str
    ticket_id: int | None = None
    ticket_number: str | None = None
    agent_user_id: int | None = None

    @classmethod
    def missed(cls, reason: str) -> StepResult:
        """Nothing found."""
        return cls("missed", reason)

    @classmethod
    def skipped(cls, reason: str) -> StepResult:
        """The step did not apply to this mail or this source."""
        return cls("skipped", reason)


@dataclass(frozen=True, slots=True)
class StepTrace:
    """One line of the trace: which step ran, and what came of it."""

    step: str
    outcome: Outcome
    reason: str


@dataclass(frozen=True, slots=True)
class FollowupResult:
    """The ticket a mail belongs to (or None), the step that found it, and every step tried."""

    ticket_id: int | None
    step: str | None
    trusted: bool
    trace: tuple[StepTrace, ...] = field(default_factory=tuple)
    ticket_number: str | None = None
    agent_user_id: int | None = None

    @property
    def matched(self) -> bool:
        """True if some step found a ticket."""
        return self.ticket_id is not None
