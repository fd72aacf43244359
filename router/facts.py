"""MailFacts: the plain values of one mail that routing rules look at."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final

MAIL_KINDS: Final = frozenset({"normal", "auto-reply", "bounce", "delivery-report", "complaint", "list"})


def _dedupe_lower(addresses: Sequence[str]) -> tuple[str, ...]:
    """Lower-cased addresses without blanks or repeats, first occurrence kept."""
    seen: dict[str, None] = {}
    for address in addresses:
        cleaned = address.strip().lower()
        if cleaned:
            seen.setdefault(cleaned, None)
    return tuple(seen)


def _index_headers(headers: Sequence[tuple[str, str]]) -> Mapping[str, tuple[str, ...]]:
    """Header values by lower-cased name, in mail order."""
    index: dict[str, list[str]] = {}
    for name, value in headers:
        index.setdefault(name.lower(), []).append(value)
    return MappingProxyType({name: tuple(values) for name, values in index.items()})


@dataclass(frozen=True, slots=True)
class MailFacts:
    """What the pipeline knows about a mail, as plain values (headers already decoded)."""

    headers: Sequence[tuple[str, str]] = ()
    from_email: str = ""
    from_name: str = ""
    to: Sequence[str] = ()
    cc: Sequence[str] = ()
    envelope_to: Sequence[str] = ()
    subject: str = ""
    body_text: str = ""
    attachment_names: Sequence[str] = ()
    kind: str = "normal"
    is_followup: bool = False
    trusted_source: bool = False
    sender_domain: str = field(init=False)
    recipients: tuple[str, ...] = field(init=False)
    header_index: Mapping[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in MAIL_KINDS:
            raise ValueError(f"unknown mail kind {self.kind!r} (known: {', '.join(sorted(MAIL_KINDS))})")
        headers = tuple((str(name), str(value)) for name, value in self.headers)
        object.__setattr__(self, "headers", headers)
        for name in ("to", "cc", "envelope_to", "attachment_names"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        object.__setattr__(self, "sender_domain", self.from_email.rpartition("@")[2].strip().lower())
        recipients = _dedupe_lower([*self.envelope_to, *self.to, *self.cc])
        object.__setattr__(self, "recipients", recipients)
        object.__setattr__(self, "header_index", _index_headers(headers))

    def header(self, name: str) -> str | None:
        """The first value of a header, matched case-insensitively, or None."""
        values = self.header_index.get(name.lower())
        return values[0] if values else None

    def header_all(self, name: str) -> tuple[str, ...]:
        """Every value of a header, in mail order (empty when absent)."""
        return self.header_index.get(name.lower(), ())
