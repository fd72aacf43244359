"""Message-ID normal form, Znuny's md5 key, and the ids a mail refers to."""

import pytest

from mailgate.followup import bare_message_id, message_id_md5, thread_message_ids
from parsers.model import BounceReport
from tests.unit.followup.followup_helpers import make_message

ABC_MD5 = "a5ddd17199fb031f9d4636e7cc7b0ab6"  # md5sum of the 17 bytes "<abc@example.com>"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("<abc@example.com>", "abc@example.com"),
        ("  <abc@example.com>  ", "abc@example.com"),
        ("abc@example.com", "abc@example.com"),
        ("(comment) <abc@example.com> (more)", "abc@example.com"),
        ("<a@b> <c@d>", "a@b"),
        ("", None),
        ("   ", None),
        ("two words", None),
        ("<>", None),
    ],
)
def test_bare_message_id(value: str, expected: str | None) -> None:
    assert bare_message_id(value) == expected


@pytest.mark.parametrize("value", ["<abc@example.com>", "abc@example.com", " <abc@example.com>\r\n"])
def test_md5_is_of_the_bracketed_id_like_znuny(value: str) -> None:
    assert message_id_md5(value) == ABC_MD5


def test_thread_ids_order_dedupe_and_limit() -> None:
    parsed = make_message(
        in_reply_to=["<p@x>"],
        references=["<r1@x>", "<r2@x>", "<p@x>"],
        bounce=BounceReport(original_message_id="<orig@x>"),
    )
    assert thread_message_ids(parsed) == ["orig@x", "p@x", "r2@x", "r1@x"]
    assert thread_message_ids(parsed, limit=2) == ["orig@x", "p@x"]


def test_thread_ids_skip_garbage() -> None:
    parsed = make_message(in_reply_to=["", "not an id"], references=["<ok@x>"])
    assert thread_message_ids(parsed) == ["ok@x"]
