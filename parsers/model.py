"""Value types that the parser returns: a parsed mail and its parts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

Kind = Literal["normal", "auto-reply", "bounce", "delivery-report", "complaint", "list"]


@dataclass(frozen=True, slots=True)
class Address:
    """One mailbox: the bare address and its decoded display name."""

    email: str
    name: str = ""

    @property
    def domain(self) -> str:
        """The part after the last '@', lower-cased."""
        return self.email.rpartition("@")[2].lower()


@dataclass(slots=True)
class Attachment:
    """A part of the mail that is not the chosen text or HTML body."""

    filename: str
    content_type: str
    data: bytes
    sha256: str
    content_id: str | None = None
    inline: bool = False

    @property
    def size(self) -> int:
        """Size of the decoded bytes."""
        return len(self.data)


@dataclass(slots=True)
class Body:
    """The readable body: plain text always, sanitized HTML when the mail has one."""

    text: str = ""
    html: str | None = None


@dataclass(frozen=True, slots=True)
class BounceRecipient:
    """One recipient of a delivery status report."""

    email: str
    status: str
    action: str
    permanent: bool
    diagnostic: str = ""


@dataclass(slots=True)
class BounceReport:
    """What a bounce or delivery report says about the original mail."""

    recipients: list[BounceRecipient] = field(default_factory=list)
    original_message_id: str | None = None


@dataclass(slots=True)
class ParsedMessage:
    """Everything mailgate reads from one raw mail; produced by parsers.parse()."""

    message_id: str | None = None
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    date: datetime | None = None
    from_: Address | None = None
    reply_to: list[Address] = field(default_factory=list)
    to: list[Address] = field(default_factory=list)
    cc: list[Address] = field(default_factory=list)
    subject: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: Body = field(default_factory=Body)
    reply_text: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    kind: Kind = "normal"
    bounce: BounceReport | None = None
    defects: list[str] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        """The first decoded value of a header, matched case-insensitively."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)

    def header_all(self, name: str) -> list[str]:
        """Every decoded value of a header, in order."""
        wanted = name.lower()
        return [value for key, value in self.headers if key.lower() == wanted]
