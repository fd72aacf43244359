"""Thread-Index (MS-OXOMSG PidTagConversationIndex): header block, child blocks, decoding."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta

from notifier import threadindex

EPOCH_1601_TO_1970_SECONDS = 11_644_473_600


def test_filetime_matches_the_windows_epoch() -> None:
    when = datetime(2026, 11, 26, 12, 0, 0)
    unix = int((when - datetime(1970, 1, 1)).total_seconds())
    assert threadindex.to_filetime(when) == (unix + EPOCH_1601_TO_1970_SECONDS) * 10_000_000
    assert threadindex.from_filetime(threadindex.to_filetime(when)) == when


def test_root_is_22_bytes_time_then_guid() -> None:
    when = datetime(2026, 11, 26, 12, 0, 0)
    guid = bytes(range(16))
    raw = base64.b64decode(threadindex.root(when, guid).encode())
    assert len(raw) == 22
    assert raw[0] == 0x01  # the top byte of any FILETIME between 1658 and 2850 ("reserved" 0x01)
    assert int.from_bytes(raw[:6], "big") == threadindex.to_filetime(when) >> 16
    assert raw[6:] == guid


def test_reply_appends_one_five_byte_block_with_the_elapsed_time() -> None:
    start = datetime(2026, 11, 26, 12, 0, 0)
    parent = threadindex.root(start, bytes(16))
    reply = threadindex.reply_to(parent, start + timedelta(hours=3), random_nibble=0xA)
    raw = base64.b64decode(reply.encode())
    assert len(raw) == 27 and raw[:22] == base64.b64decode(parent.encode())
    word = int.from_bytes(raw[22:26], "big")
    assert word & 0x8000_0000 == 0  # DC = 0 for short differences
    assert raw[26] >> 4 == 0xA and raw[26] & 0x0F == 0
    assert abs(threadindex.child_time(reply, 0) - (start + timedelta(hours=3))) < timedelta(milliseconds=30)
    second = threadindex.reply_to(reply, start + timedelta(days=2))
    assert len(base64.b64decode(second.encode())) == 32
    assert second.children[1][4] & 0x0F == 1  # the sequence nibble counts the level
    assert abs(threadindex.child_time(second, 1) - (start + timedelta(days=2))) < timedelta(milliseconds=30)


def test_long_differences_switch_to_the_coarse_delta_code() -> None:
    start = datetime(2020, 1, 1)
    later = start + timedelta(days=800)  # more than 2**49 ticks (~1.78 years)
    reply = threadindex.reply_to(threadindex.root(start, bytes(16)), later)
    assert reply.children[0][0] & 0x80
    assert abs(threadindex.child_time(reply, 0) - later) < timedelta(seconds=1)


def test_parses_an_outlook_header_and_rejects_garbage() -> None:
    outlook = threadindex.parse("AcqB3T5lsQ5t5mYhTGakMnOFL9Kjbw==")  # a 2009 Outlook header block
    assert outlook is not None and outlook.started.year == 2009 and outlook.children == ()
    assert threadindex.parse("not base64!") is None
    assert threadindex.parse(base64.b64encode(b"x" * 23).decode()) is None  # not 22 + 5n bytes
    assert threadindex.parse(None) is None


def test_mail_without_parent_uses_the_ticket_root() -> None:
    guid = threadindex.ticket_guid("secret", 42)
    assert guid == threadindex.ticket_guid("secret", 42) != threadindex.ticket_guid("secret", 43)
    started, now = datetime(2026, 1, 1), datetime(2026, 1, 2)
    first = threadindex.for_mail(None, thread_guid=guid, thread_started=started, now=now, is_reply=False)
    answer = threadindex.for_mail(None, thread_guid=guid, thread_started=started, now=now, is_reply=True)
    assert first.children == () and first.guid == guid and first.started == started
    assert len(answer.children) == 1 and answer.guid == guid
    child = threadindex.for_mail(
        answer.encode(), thread_guid=bytes(16), thread_started=now, now=now, is_reply=True
    )
    assert child.guid == guid and len(child.children) == 2
