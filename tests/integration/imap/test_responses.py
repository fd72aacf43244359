"""Pure helpers of the IMAP poller: response readers, batch planning, UID sets, account rows."""

from __future__ import annotations

import pytest

from mailgate.errors import ConfigError
from mailgate.imap.accounts import split_host
from mailgate.imap.responses import (
    fetched_mails,
    fetched_sizes,
    plan_batches,
    search_uids,
    uid_set,
    uidvalidity_of,
)


def test_uidvalidity_from_select() -> None:
    lines = [b"FLAGS (\\Seen)", b"OK [UIDVALIDITY 1795652742] UIDs valid", b"[READ-WRITE] Select completed"]
    assert uidvalidity_of(lines) == 1795652742
    assert uidvalidity_of([b"OK done"]) is None


def test_search_uids_drops_the_last_uid_below_the_range() -> None:
    assert search_uids([b"7 9 8", b"Search completed (0.001 + 0.000 secs)."], 6) == [7, 8, 9]
    assert search_uids([b"SEARCH 3", b"Search completed."], 5) == []  # `6:*` returns the highest UID 3
    assert search_uids([b"", b"Search completed."], 0) == []


def test_fetched_mails_with_uid_before_or_after_the_literal() -> None:
    lines: list[bytes | bytearray] = [
        b"1 FETCH (UID 10 BODY[] {5}",
        bytearray(b"hello"),
        b")",
        b"2 FETCH (FLAGS (\\Seen))",  # unsolicited flag update: no mail
        b"3 FETCH (BODY[] {3}",
        bytearray(b"abc"),
        b" UID 12)",
        b"Fetch completed.",
    ]
    mails = fetched_mails(lines)
    assert [(mail.uid, mail.raw) for mail in mails] == [(10, b"hello"), (12, b"abc")]


def test_sizes_and_batches_bounded_by_count_and_bytes() -> None:
    sizes = fetched_sizes([b"1 FETCH (UID 4 RFC822.SIZE 100)", b"2 FETCH (RFC822.SIZE 900 UID 5)", b"done"])
    assert sizes == {4: 100, 5: 900}
    uids = [1, 2, 3, 4, 5, 6]
    all_sizes = {1: 10, 2: 10, 3: 10, 4: 500, 5: 10, 6: 10}
    assert list(plan_batches(uids, all_sizes, max_count=2, max_bytes=10_000)) == [[1, 2], [3, 4], [5, 6]]
    assert list(plan_batches(uids, all_sizes, max_count=10, max_bytes=100)) == [[1, 2, 3], [4], [5, 6]]
    assert list(plan_batches([1, 2], {2: 5}, 10, 100)) == [[2]]  # UID 1 expunged meanwhile


def test_uid_set_is_compact() -> None:
    assert uid_set([1, 2, 3, 5, 7, 8]) == "1:3,5,7:8"
    assert uid_set([4]) == "4"


def test_split_host_reads_an_optional_port() -> None:
    assert split_host("imap.example.com", 993) == ("imap.example.com", 993)
    assert split_host("127.0.0.1:1143", 143) == ("127.0.0.1", 1143)
    assert split_host("[::1]:1143", 143) == ("::1", 1143)
    assert split_host("::1", 143) == ("::1", 143)
    with pytest.raises(ConfigError):
        split_host("host:99999", 143)
