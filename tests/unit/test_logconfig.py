"""Logging set-up: per-mail noise from libraries stays out of the logs."""

from __future__ import annotations

import logging

import pytest

from mailgate.logconfig import quiet_noisy_libraries
from parsers import parse

MALFORMED_FROM = b"From: a: b: c@@d\r\nTo: x@example.com\r\nSubject: s\r\n\r\nhi\r\n"


def test_malformed_address_is_a_defect_not_a_log_warning(caplog: pytest.LogCaptureFixture) -> None:
    quiet_noisy_libraries()
    with caplog.at_level(logging.DEBUG):
        parsed = parse(MALFORMED_FROM)
    assert any("address" in defect for defect in parsed.defects)
    assert not [record for record in caplog.records if record.name.startswith("flanker")]


def test_library_errors_still_pass(caplog: pytest.LogCaptureFixture) -> None:
    quiet_noisy_libraries()
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("flanker.addresslib._parser.lexer").error("a real failure")
    assert [record.message for record in caplog.records] == ["a real failure"]
