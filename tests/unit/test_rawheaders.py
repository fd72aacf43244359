"""The intake's cheap header reads."""

from __future__ import annotations

import pytest

from mailgate.errors import ConfigError
from mailgate.listen import parse_listen
from mailgate.rawheaders import header_block, message_id_of


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"Message-ID: <a@b>\r\n\r\nbody", "a@b"),
        (b"message-id:<a@b>\n\nbody", "a@b"),
        (b"Message-Id:\n <folded@host>\n\nbody", "folded@host"),
        (b"Message-ID: bare@host\n\n", "bare@host"),
        (b"Subject: x\n\nMessage-ID: <in-body@x>\n", None),
        (b"X-Original-Message-ID: <not-this@x>\nSubject: y\n\n", None),
        (b"Message-ID: <a@b> (comment)\n\n", "a@b"),
        (b"Message-ID: <a\x00b@c>\n\n", "ab@c"),
        (b"", None),
    ],
)
def test_message_id_of(raw: bytes, expected: str | None) -> None:
    assert message_id_of(raw) == expected


def test_header_block_stops_at_first_empty_line() -> None:
    assert header_block(b"A: 1\r\nB: 2\r\n\r\nC: 3") == b"A: 1\r\nB: 2"
    assert header_block(b"A: 1\rB: 2\r\rbody") == b"A: 1\rB: 2"


def test_message_id_is_bounded() -> None:
    assert message_id_of(b"Message-ID: <" + b"x" * 5000 + b"@y>\n\n", max_length=100) == "x" * 100


@pytest.mark.parametrize(
    ("value", "expected"),
    [("127.0.0.1:2525", ("127.0.0.1", 2525)), ("[::1]:25", ("::1", 25)), (":2525", ("127.0.0.1", 2525))],
)
def test_parse_listen(value: str, expected: tuple[str, int]) -> None:
    assert parse_listen(value) == expected


@pytest.mark.parametrize("value", ["2525", "host:", "host:99999", "host:x"])
def test_parse_listen_rejects(value: str) -> None:
    with pytest.raises(ConfigError):
        parse_listen(value)
