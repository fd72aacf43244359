"""The renderer interface: one renderer per outbox kind turns a row into a RenderedMail (or a Suppress).

A renderer is a small named class with a ``kind`` (an ``OutboxKind`` value) and a
``render(session, row, ctx)`` method. It reads what it needs through ``session``
(the sender's transaction: never commit it) and returns values; composing the bytes
(Message-ID, threading headers, Thread-Index, loop headers) is notifier/compose.py's job.
Renderers are collected in a ``RendererRegistry``, which rejects a second renderer
for the same kind (house rule 5).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from mailgate.errors import MailgateError
from mailgate.ticketnumber import DEFAULT_STYLE, SubjectStyle
from schema.outbox import OutboxMail

AUTO_REPLIED = "auto-replied"
"""RFC 3834 Auto-Submitted value for a mail sent in answer to another (auto-replies)."""

AUTO_GENERATED = "auto-generated"
"""RFC 3834 Auto-Submitted value for a mail not sent in answer to one (notifications, SLA alerts)."""


class RenderError(MailgateError):
    """A renderer cannot render this row (a programming or data error: the row fails permanently)."""


class DuplicateRendererError(RenderError):
    """A second renderer was registered for a kind that already has one."""


class UnknownKindError(RenderError):
    """No renderer is registered for the row's kind."""


@dataclass(frozen=True, slots=True)
class RenderContext:
    """Values every renderer may use, derived from Settings once per worker; never read the environment."""

    fqdn: str  # domain part of our Message-IDs and the loop header value
    system_id: str  # Znuny SystemID (ticket numbers)
    secret: str  # installation secret: signs Message-IDs and reply addresses (mailgate.tokens)
    clock: Callable[[], datetime]  # naive UTC "now", injectable in tests
    subject_style: SubjectStyle = DEFAULT_STYLE  # Ticket::Hook, divider, SubjectFormat
    templates: Any | None = None  # optional sandboxed Jinja environment (factory of the templates helper)
    extra: dict[str, Any] = field(default_factory=dict)  # per-kind settings a renderer may want

    def now(self) -> datetime:
        """The current time from the injected clock."""
        return self.clock()


@dataclass(frozen=True, slots=True)
class Address:
    """A mailbox: bare address and optional display name."""

    email: str
    name: str = ""


@dataclass(frozen=True, slots=True)
class Attachment:
    """One attachment (or inline part when content_id is set) of an outbound mail."""

    filename: str
    content: bytes
    content_type: str = "application/octet-stream"
    content_id: str | None = None  # inline part referenced from the HTML by cid:


@dataclass(frozen=True, slots=True)
class Threading:
    """What a mail answers: its ticket and the mail it replies to (In-Reply-To, References, Thread-Index)."""

    ticket_id: int | None = None
    tn: str | None = None  # ticket number; compose puts it into the subject with the hook
    in_reply_to: str | None = None  # Message-ID of the mail answered, with angle brackets
    references: tuple[str, ...] = ()  # that mail's References (oldest first); compose appends in_reply_to
    parent_thread_index: str | None = None  # Thread-Index header of the mail answered, if it had one
    topic: str | None = None  # Thread-Topic; defaults to the subject without prefixes and hook


@dataclass(frozen=True, slots=True)
class StoreArticle:
    """Ask the sender to store the sent mail as an article on the ticket (Znuny stores auto-replies so).

    The sender writes it in the same transaction that freezes the raw bytes, with the
    composed Message-ID, and sets the row's article_id.
    """

    sender_type: str = "system"  # article_sender_type.name
    history_type: str = "SendAutoReply"  # ticket_history_type.name
    history_name: str = ""  # ticket_history.name; default "%%<recipients>"
    is_visible_for_customer: bool = True


@dataclass(frozen=True, slots=True)
class RenderedMail:
    """Everything compose needs to build the bytes of one outbound mail."""

    sender: Address  # From: the queue's system address and display name
    to: tuple[Address, ...]
    subject: str  # without the ticket hook: compose adds "[Ticket#...]" when threading.tn is set
    text: str  # plain-text body
    html: str | None = None  # HTML body; with text it makes multipart/alternative
    cc: tuple[Address, ...] = ()
    reply_to: Address | None = None  # None: the sender address
    threading: Threading = field(default_factory=Threading)
    subject_action: str = "reply"  # "reply" | "forward" | "new" (ticketnumber.build_subject)
    auto_submitted: str | None = None  # AUTO_REPLIED, AUTO_GENERATED or None (a person's answer)
    message_id: str | None = None  # use this Message-ID (e.g. the stored article's); None: compose issues one
    headers: tuple[tuple[str, str], ...] = ()  # extra headers, e.g. ("X-Mailgate-Notification", "new")
    attachments: tuple[Attachment, ...] = ()
    store_article: StoreArticle | None = None  # store the sent mail as an article (auto-replies)


@dataclass(frozen=True, slots=True)
class Suppress:
    """The renderer decided not to send: the row becomes 'suppressed' with this reason."""

    reason: str


class Renderer(Protocol):
    """Renders the outbox rows of one kind."""

    kind: str

    def render(self, session: Session, row: OutboxMail, ctx: RenderContext) -> RenderedMail | Suppress:
        """The mail to send for this row, or Suppress; raise RenderError for a row that can never render."""
        ...


class RendererRegistry:
    """Renderers by kind; registering a second renderer for a kind raises DuplicateRendererError."""

    def __init__(self) -> None:
        """An empty registry."""
        self._by_kind: dict[str, Renderer] = {}

    def register(self, renderer: Renderer) -> Renderer:
        """Add a renderer for its kind; returns it (usable as a class-instance decorator helper)."""
        kind = str(renderer.kind)
        if kind in self._by_kind:
            raise DuplicateRendererError(
                f"kind {kind!r} already rendered by {type(self._by_kind[kind]).__name__}"
            )
        self._by_kind[kind] = renderer
        return renderer

    def get(self, kind: str) -> Renderer:
        """The renderer for a kind; UnknownKindError if none is registered."""
        try:
            return self._by_kind[kind]
        except KeyError:
            raise UnknownKindError(f"no renderer for outbox kind {kind!r}") from None

    def kinds(self) -> Iterator[str]:
        """The registered kinds."""
        return iter(sorted(self._by_kind))

    def __contains__(self, kind: object) -> bool:
        """Whether a renderer is registered for this kind."""
        return kind in self._by_kind
