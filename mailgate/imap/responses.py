"""Pure readers of aioimaplib response lines (SELECT, UID SEARCH, UID FETCH) and the batch planner."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

UIDVALIDITY_RE = re.compile(rb"\[UIDVALIDITY (\d+)\]")
FETCH_START_RE = re.compile(rb"^\d+ FETCH \(")
UID_RE = re.compile(rb"\bUID (\d+)")
SIZE_RE = re.compile(rb"\bRFC822\.SIZE (\d+)")
LITERAL_RE = re.compile(rb"\{(\d+)\}$")


@dataclass(frozen=True, slots=True)
class FetchedMail:
    """One mail's UID and raw bytes from a UID FETCH."""

    uid: int
    raw: bytes


def uidvalidity_of(lines: Sequence[bytes | bytearray]) -> int | None:
    """The UIDVALIDITY announced in a SELECT response, if any."""
    for line in lines:
        found = UIDVALIDITY_RE.search(bytes(line))
        if found:
            return int(found.group(1))
    return None


def search_uids(lines: Sequence[bytes | bytearray], above: int) -> list[int]:
    """Sorted UIDs above `above` from a UID SEARCH response (`n:*` also returns the last UID when < n).

    aioimaplib hands the untagged `* SEARCH 1 2 3` over as b"1 2 3" (older versions kept the keyword).
    """
    uids: set[int] = set()
    for line in lines[:-1]:  # the last line is the tagged status text
        words = bytes(line).split()
        if words[:1] == [b"SEARCH"]:
            words = words[1:]
        if all(word.isdigit() for word in words):
            uids.update(int(word) for word in words)
    return sorted(uid for uid in uids if uid > above)


def fetched_sizes(lines: Sequence[bytes | bytearray]) -> dict[int, int]:
    """UID -> RFC822.SIZE from a UID FETCH (UID RFC822.SIZE) response."""
    sizes: dict[int, int] = {}
    for line in lines:
        if isinstance(line, bytes) and FETCH_START_RE.match(line):
            uid, size = UID_RE.search(line), SIZE_RE.search(line)
            if uid and size:
                sizes[int(uid.group(1))] = int(size.group(1))
    return sizes


def fetched_mails(lines: Sequence[bytes | bytearray]) -> list[FetchedMail]:
    """The mails of a UID FETCH (UID BODY.PEEK[]) response; the UID may come before or after the literal."""
    mails: list[FetchedMail] = []
    uid: int | None = None
    raw: bytes | None = None
    for line in lines:
        if isinstance(line, bytearray):
            raw = bytes(line)
            continue
        if FETCH_START_RE.match(line):
            uid, raw = None, None
        found = UID_RE.search(line)
        if found:
            uid = int(found.group(1))
        if uid is not None and raw is not None and not LITERAL_RE.search(line):
            mails.append(FetchedMail(uid, raw))
            uid, raw = None, None
    return mails


def plan_batches(
    uids: Sequence[int], sizes: dict[int, int], max_count: int, max_bytes: int
) -> Iterator[list[int]]:
    """Consecutive groups of UIDs with at most max_count mails and max_bytes (a bigger mail goes alone)."""
    batch: list[int] = []
    total = 0
    for uid in uids:
        size = sizes.get(uid)
        if size is None:  # expunged meanwhile
            continue
        if batch and (len(batch) >= max_count or total + size > max_bytes):
            yield batch
            batch, total = [], 0
        batch.append(uid)
        total += size
    if batch:
        yield batch


def uid_set(uids: Sequence[int]) -> str:
    """A compact IMAP UID set ("1:5,8,10:12") for sorted UIDs."""
    parts: list[str] = []
    start = prev = uids[0]
    for uid in uids[1:]:
        if uid != prev + 1:
            parts.append(f"{start}:{prev}" if prev != start else str(start))
            start = uid
        prev = uid
    parts.append(f"{start}:{prev}" if prev != start else str(start))
    return ",".join(parts)
