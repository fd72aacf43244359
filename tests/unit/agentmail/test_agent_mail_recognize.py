"""Agent reply addresses among the recipients: valid, expired and forged tokens told apart."""

from __future__ import annotations

from datetime import date, timedelta

from mailgate.agentmail.recognize import classify, find_agent_token, recipients
from mailgate.tokens import issue_agent_reply_address, issue_reply_address
from parsers import parse

SECRET = "unit-secret"
TODAY = date(2026, 11, 26)


def address(days_old: int = 0, ticket: int = 7, user: int = 3) -> str:
    return issue_agent_reply_address(
        SECRET, "support@example.org", ticket, user, TODAY - timedelta(days=days_old)
    )


def test_valid_expired_and_forged() -> None:
    valid = classify(SECRET, address(), TODAY, 90)
    assert valid is not None and valid.status == "valid" and valid.token is not None
    assert (valid.token.ticket_id, valid.token.user_id) == (7, 3)
    expired = classify(SECRET, address(days_old=91), TODAY, 90)
    assert expired is not None and expired.status == "expired" and expired.token is not None
    forged = classify(SECRET, address().replace("-a-7-", "-a-8-").replace("+a-7-", "+a-8-"), TODAY, 90)
    assert forged is not None and (forged.status, forged.token) == ("forged", None)
    other_secret = issue_agent_reply_address("other", "support@example.org", 7, 3, TODAY)
    assert classify(SECRET, other_secret, TODAY, 90) == classify(SECRET, other_secret, TODAY, 90)
    assert classify(SECRET, other_secret, TODAY, 90).status == "forged"  # type: ignore[union-attr]


def test_other_addresses_are_not_agent_addresses() -> None:
    customer_reply = issue_reply_address(SECRET, "support@example.org", 7)
    for item in ("support@example.org", customer_reply, "a-7-3-1-abc@example.org", "x+a-7@example.org"):
        assert classify(SECRET, item, TODAY, 90) is None, item


def test_recipients_and_the_best_token() -> None:
    raw = (
        f"From: a@corp.example\r\nTo: Support <{address(days_old=100)}>\r\nCc: other@example.org\r\n"
        f"Delivered-To: {address()}\r\nSubject: x\r\n\r\nhi\r\n"
    ).encode()
    parsed = parse(raw)
    assert recipients(parsed, ["env@example.org"])[0] == "env@example.org"
    found = find_agent_token(parsed, [], SECRET, TODAY, 90)
    assert found is not None and found.status == "valid"  # the valid one wins over the expired one
