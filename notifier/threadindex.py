"""Outlook's Thread-Index header (MS-OXOMSG 2.2.1.3 PidTagConversationIndex), built and read.

A conversation index is a 22-byte header block, then one 5-byte child block per reply:
- header: the 48 most significant bits of a FILETIME (100 ns ticks since 1601-01-01 UTC,
  i.e. the FILETIME with its low 16 bits dropped; the first byte is 0x01 for any date
  from 1601+~57 years to ~2850), big-endian, then a 16-byte GUID naming the thread;
- child: 1 bit DC and 31 bits of the time elapsed since the header's time (bits 18..48 of
  the difference when DC is 0, bits 23..53 when it is 1, i.e. when the difference does not fit
  in 49 bits, ~1.78 years), big-endian, then a byte of 4 random bits and a 4-bit sequence count.
The header is sent base64-encoded in ``Thread-Index``; ``Thread-Topic`` carries the bare subject.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

HEADER_BYTES = 22
CHILD_BYTES = 5
MAX_CHILDREN = 60  # Outlook keeps indexes far shorter; a longer parent is restarted, not extended
_FILETIME_EPOCH = datetime(1601, 1, 1)
_SHORT_DELTA_LIMIT = 1 << 49  # DC = 0 holds bits 18..48 of the difference


@dataclass(frozen=True, slots=True)
class ThreadIndex:
    """A decoded conversation index: the thread's time (low 16 bits zero), its GUID and child deltas."""

    filetime: int
    guid: bytes
    children: tuple[bytes, ...]

    def encode(self) -> str:
        """The base64 header value."""
        raw = (self.filetime >> 16).to_bytes(6, "big") + self.guid + b"".join(self.children)
        return base64.b64encode(raw).decode("ascii")

    @property
    def started(self) -> datetime:
        """The header's time as naive UTC."""
        return from_filetime(self.filetime)


def to_filetime(when: datetime) -> int:
    """A naive-UTC (or aware) datetime as a FILETIME integer."""
    if when.tzinfo is not None:
        when = when.astimezone(UTC).replace(tzinfo=None)
    delta = when - _FILETIME_EPOCH
    return (delta.days * 86_400 + delta.seconds) * 10_000_000 + delta.microseconds * 10


def from_filetime(filetime: int) -> datetime:
    """A FILETIME integer as naive UTC."""
    return _FILETIME_EPOCH + timedelta(microseconds=filetime // 10)


def ticket_guid(secret: str, ticket_id: int) -> bytes:
    """A stable 16-byte thread GUID for a ticket (so all our mails on it share one conversation)."""
    digest = hmac.new(secret.encode("utf-8"), f"thread-index/{ticket_id}".encode(), hashlib.sha256).digest()
    raw = bytearray(digest[:16])
    raw[6] = (raw[6] & 0x0F) | 0x40  # shaped like a version-4 GUID
    raw[8] = (raw[8] & 0x3F) | 0x80
    return bytes(raw)


def root(when: datetime, guid: bytes | None = None) -> ThreadIndex:
    """The index of the first message of a thread started at ``when`` (random GUID if none given)."""
    thread = guid if guid is not None else secrets.token_bytes(16)
    if len(thread) != 16:
        raise ValueError("a thread GUID has 16 bytes")
    return ThreadIndex(filetime=to_filetime(when) >> 16 << 16, guid=thread, children=())


def child_block(parent: ThreadIndex, when: datetime, random_nibble: int | None = None) -> bytes:
    """The 5-byte block a reply sent at ``when`` appends to ``parent``."""
    diff = max(0, to_filetime(when) - parent.filetime)
    if diff < _SHORT_DELTA_LIMIT:
        word = (diff >> 18) & 0x7FFF_FFFF
    else:
        word = 0x8000_0000 | ((diff >> 23) & 0x7FFF_FFFF)
    nibble = secrets.randbelow(16) if random_nibble is None else random_nibble & 0x0F
    sequence = len(parent.children) & 0x0F
    return word.to_bytes(4, "big") + bytes([nibble << 4 | sequence])


def reply_to(parent: ThreadIndex, when: datetime, random_nibble: int | None = None) -> ThreadIndex:
    """The index of a reply to ``parent`` sent at ``when``: the parent plus one child block."""
    block = child_block(parent, when, random_nibble)
    return ThreadIndex(parent.filetime, parent.guid, (*parent.children, block))


def parse(value: str | None) -> ThreadIndex | None:
    """Decode a Thread-Index header value; None if absent, not base64, or not 22 + 5n bytes."""
    if not value:
        return None
    try:
        raw = base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        return None
    extra = len(raw) - HEADER_BYTES
    if extra < 0 or extra % CHILD_BYTES:
        return None
    children = tuple(raw[i : i + CHILD_BYTES] for i in range(HEADER_BYTES, len(raw), CHILD_BYTES))
    return ThreadIndex(int.from_bytes(raw[:6], "big") << 16, raw[6:HEADER_BYTES], children)


def child_time(index: ThreadIndex, position: int) -> datetime:
    """When the ``position``-th child block says its reply was sent (to its resolution: ~26 ms or ~0.8 s)."""
    word = int.from_bytes(index.children[position][:4], "big")
    shift = 23 if word & 0x8000_0000 else 18
    return from_filetime(index.filetime + ((word & 0x7FFF_FFFF) << shift))


def for_mail(
    parent_header: str | None, *, thread_guid: bytes, thread_started: datetime, now: datetime, is_reply: bool
) -> ThreadIndex:
    """The index of a mail we send: a child of the answered mail's usable index, else of the ticket's root.

    Without a usable parent, a mail that answers none starts with the ticket's root itself.
    """
    parent = parse(parent_header)
    if parent is not None and len(parent.children) < MAX_CHILDREN:
        return reply_to(parent, now)
    base = root(thread_started, thread_guid)
    return reply_to(base, now) if is_reply else base
