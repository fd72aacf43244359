"""What a mail source yields: a mail's raw bytes, or the reason one could not be read."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class SourceMail:
    """One mail read from a source: where it was found and its raw bytes; `advance` feeds the progress."""

    where: str
    raw: bytes
    advance: int = 1


@dataclass(frozen=True, slots=True)
class UnreadableMail:
    """A mail (or what should have been one) that could not be read, and why."""

    where: str
    reason: str
    advance: int = 1


SourceItem = SourceMail | UnreadableMail


class MailSource(Protocol):
    """A readable collection of mails; `total` is in the unit that the items' `advance` counts."""

    @property
    def description(self) -> str:
        """What kind of source this is and where, for the user."""
        ...

    @property
    def total(self) -> int:
        """The progress total (bytes for an mbox, files otherwise)."""
        ...

    @property
    def unit(self) -> str:
        """The unit of `total`: "bytes" or "files"."""
        ...

    def __iter__(self) -> Iterator[SourceItem]:
        """The mails, in the source's order, read one at a time."""
        ...


def check_content(where: str, raw: bytes, max_size: int, advance: int = 1) -> SourceItem:
    """The mail, or an UnreadableMail when it is empty or larger than `max_size`."""
    if not raw.strip():
        return UnreadableMail(where, "empty", advance)
    if len(raw) > max_size:
        return UnreadableMail(where, f"larger than the limit of {max_size} bytes ({len(raw)} bytes)", advance)
    return SourceMail(where, raw, advance)
