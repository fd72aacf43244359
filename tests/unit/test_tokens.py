"""Signed per-ticket tokens: round trips, tampering, wrong secret or ticket, garbage never raises."""

import random
import string
from datetime import date, timedelta

import pytest

from mailgate.errors import ConfigError, MailgateError
from mailgate.tokens import (
    AgentToken,
    MessageIdToken,
    MissingSecretError,
    ReplyAddress,
    TokenError,
    issue_agent_reply_address,
    issue_agent_token,
    issue_message_id,
    issue_reply_address,
    parse_agent_reply_address,
    parse_agent_token,
    parse_message_id,
    parse_reply_address,
    require_secret,
)

SECRET = "correct horse battery staple"
OTHER_SECRET = "correct horse battery stapler"
TODAY = date(2026, 11, 25)
BASE32 = "abcdefghijklmnopqrstuvwxyz234567"


def _variants(text: str, start: int, end: int) -> list[str]:
    """Every string that differs from ``text`` in exactly one character within [start, end)."""
    out = []
    for index in range(start, end):
        for char in ("0", "7", "a", "z", "-", "."):
            if text[index].lower() != char:
                out.append(text[:index] + char + text[index + 1 :])
    return out


# ---------------------------------------------------------------- reply addresses


def test_reply_address_shape_and_round_trip() -> None:
    address = issue_reply_address(SECRET, "support@example.com", 4711)
    local, _, domain = address.partition("@")
    assert domain == "example.com"
    assert local.startswith("support+t-4711-")
    signature = local.rsplit("-", 1)[1]
    assert len(signature) == 16 and set(signature) <= set(BASE32)  # 80 bits
    assert parse_reply_address(SECRET, address) == ReplyAddress(4711, "support@example.com")


def test_reply_address_is_deterministic_and_ticket_specific() -> None:
    first = issue_reply_address(SECRET, "support@example.com", 1)
    assert first == issue_reply_address(SECRET, "support@example.com", 1)
    assert first != issue_reply_address(SECRET, "support@example.com", 2)
    assert first != issue_reply_address(OTHER_SECRET, "support@example.com", 1)


def test_reply_address_survives_case_changes_and_brackets() -> None:
    address = issue_reply_address(SECRET, "Support@Example.COM", 9)
    assert parse_reply_address(SECRET, address.upper()) == ReplyAddress(9, "support@example.com")
    assert parse_reply_address(SECRET, f" <{address}> ") == ReplyAddress(9, "support@example.com")


def test_reply_address_with_dash_separator() -> None:
    address = issue_reply_address(SECRET, "help-desk@example.com", 12, separator="-")
    assert address.startswith("help-desk-t-12-")
    assert parse_reply_address(SECRET, address) == ReplyAddress(12, "help-desk@example.com")


def test_reply_address_tampering_any_character_fails() -> None:
    address = issue_reply_address(SECRET, "support@example.com", 4711)
    for forged in _variants(address, 0, len(address)):
        parsed = parse_reply_address(SECRET, forged)
        assert parsed is None or forged.lower() == address.lower()
    assert parse_reply_address(SECRET, address.replace("4711", "4712")) is None


def test_reply_address_wrong_secret_or_moved_to_other_system_address() -> None:
    address = issue_reply_address(SECRET, "support@example.com", 5)
    assert parse_reply_address(OTHER_SECRET, address) is None
    assert parse_reply_address(SECRET, address.replace("support+", "sales+")) is None
    assert parse_reply_address(SECRET, address.replace("example.com", "example.org")) is None


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "@",
        "support@example.com",
        "support+t-1-@example.com",
        "support+t-0-aaaaaaaaaaaaaaaa@example.com",
        "support+t-01-aaaaaaaaaaaaaaaa@example.com",
        "support+t-1-aaaaaaaaaaaaaaaa@example.com",
        "support+t-1-aaaaaaaaaaaaaaa1@example.com",
        "+t-1-aaaaaaaaaaaaaaaa@example.com",
        "support+t-1-aaaaaaaaaaaaaaaa",
        "support +t-1-aaaaaaaaaaaaaaaa@example.com",
        "support+t-1-aaaaaaaaaaaaaaaſ@example.com",
        "support+t-99999999999999999999-aaaaaaaaaaaaaaaa@example.com",
        "x" * 10_000 + "@example.com",
        "\x00@\x00",
    ],
)
def test_reply_address_garbage_gives_none(garbage: str) -> None:
    assert parse_reply_address(SECRET, garbage) is None


@pytest.mark.parametrize(("address", "ticket"), [("no-at-sign", 1), ("a b@example.com", 1), ("a@b", 0)])
def test_issue_reply_address_rejects_bad_input(address: str, ticket: int) -> None:
    with pytest.raises(TokenError):
        issue_reply_address(SECRET, address, ticket)


# ---------------------------------------------------------------- Message-IDs


def test_message_id_round_trip_with_article_id() -> None:
    message_id = issue_message_id(SECRET, "mail.example.com", 4711, "815")
    assert message_id.startswith("<mg.4711.815.") and message_id.endswith("@mail.example.com>")
    token = parse_message_id(SECRET, message_id)
    assert token == MessageIdToken(4711, "815", "mail.example.com")
    assert parse_message_id(SECRET, message_id.strip("<>")) == token
    assert parse_message_id(SECRET, message_id.upper()) == token


def test_message_id_with_random_nonce_is_unique() -> None:
    first = issue_message_id(SECRET, "mail.example.com", 3)
    second = issue_message_id(SECRET, "mail.example.com", 3)
    assert first != second
    assert parse_message_id(SECRET, first) is not None
    assert parse_message_id(SECRET, second) is not None


def test_message_id_tampering_any_character_fails() -> None:
    message_id = issue_message_id(SECRET, "mail.example.com", 4711, "815")
    at = message_id.index("@")
    for forged in _variants(message_id, 1, at):
        assert parse_message_id(SECRET, forged) is None, forged


def test_message_id_wrong_secret_and_swapped_ticket() -> None:
    message_id = issue_message_id(SECRET, "mail.example.com", 4711, "815")
    assert parse_message_id(OTHER_SECRET, message_id) is None
    assert parse_message_id(SECRET, message_id.replace("mg.4711.", "mg.4712.")) is None
    assert parse_message_id(SECRET, message_id.replace(".815.", ".816.")) is None


def test_message_id_domain_is_not_signed_so_a_changed_fqdn_keeps_working() -> None:
    message_id = issue_message_id(SECRET, "old.example.com", 8, "1")
    moved = message_id.replace("old.example.com", "new.example.com")
    assert parse_message_id(SECRET, moved) == MessageIdToken(8, "1", "new.example.com")


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "<>",
        "<mg.1.2.3@x>",
        "<mg.1.2.aaaaaaaaaaaaaaaa@x>",
        "<foo@example.com>",
        "mg.1.2.aaaaaaaaaaaaaaaa",
        "<<<",
    ],
)
def test_message_id_garbage_gives_none(garbage: str) -> None:
    assert parse_message_id(SECRET, garbage) is None


@pytest.mark.parametrize(("fqdn", "unique"), [("", "1"), ("a b", "1"), ("x.org", "not-alnum"), ("x.org", "")])
def test_issue_message_id_rejects_bad_input(fqdn: str, unique: str) -> None:
    with pytest.raises(TokenError):
        issue_message_id(SECRET, fqdn, 1, unique)


# ---------------------------------------------------------------- agent tokens


def test_agent_token_round_trip() -> None:
    token = issue_agent_token(SECRET, 4711, 23, TODAY)
    assert token.startswith("a-4711-23-")
    assert parse_agent_token(SECRET, token, today=TODAY) == AgentToken(4711, 23, TODAY)


def test_agent_token_binds_ticket_and_agent() -> None:
    token = issue_agent_token(SECRET, 4711, 23, TODAY)
    assert parse_agent_token(SECRET, token.replace("-23-", "-24-"), today=TODAY) is None
    assert parse_agent_token(SECRET, token.replace("a-4711-", "a-4710-"), today=TODAY) is None
    assert parse_agent_token(OTHER_SECRET, token, today=TODAY) is None
    for forged in _variants(token, 0, len(token)):
        assert parse_agent_token(SECRET, forged, today=TODAY) is None, forged


def test_agent_token_expires_and_rejects_future_issue_dates() -> None:
    token = issue_agent_token(SECRET, 1, 2, TODAY)
    assert parse_agent_token(SECRET, token, today=TODAY + timedelta(days=90)) is not None
    assert parse_agent_token(SECRET, token, today=TODAY + timedelta(days=91)) is None
    assert parse_agent_token(SECRET, token, today=TODAY + timedelta(days=200), max_age_days=365) is not None
    assert parse_agent_token(SECRET, token, today=TODAY - timedelta(days=1)) is None


def test_agent_reply_address_round_trip() -> None:
    address = issue_agent_reply_address(SECRET, "support@example.com", 7, 3, TODAY)
    assert address.startswith("support+a-7-3-") and address.endswith("@example.com")
    assert parse_agent_reply_address(SECRET, address, today=TODAY) == AgentToken(7, 3, TODAY)
    assert parse_reply_address(SECRET, address) is None
    assert parse_agent_reply_address(SECRET, "support@example.com", today=TODAY) is None


# ---------------------------------------------------------------- separation, secrets, fuzz


def test_a_signature_of_one_kind_is_worthless_for_another() -> None:
    reply = issue_reply_address(SECRET, "support@example.com", 5)
    signature = reply.split("@")[0].rsplit("-", 1)[1]
    assert parse_message_id(SECRET, f"<mg.5.1.{signature}@example.com>") is None
    message_id = issue_message_id(SECRET, "example.com", 5, "1")
    mid_signature = message_id.split(".")[3].split("@")[0]
    assert parse_reply_address(SECRET, f"support+t-5-{mid_signature}@example.com") is None


def test_empty_secret_is_a_config_error() -> None:
    for call in (
        lambda: issue_reply_address("", "support@example.com", 1),
        lambda: parse_reply_address(b"", "support+t-1-aaaaaaaaaaaaaaaa@example.com"),
        lambda: issue_message_id("", "example.com", 1),
        lambda: issue_agent_token("", 1, 1, TODAY),
        lambda: require_secret(""),
    ):
        with pytest.raises(MissingSecretError) as info:
            call()
        assert isinstance(info.value, ConfigError) and isinstance(info.value, MailgateError)
    require_secret("x")


def test_bytes_and_str_secrets_agree() -> None:
    assert issue_reply_address(SECRET, "s@example.com", 1) == issue_reply_address(
        SECRET.encode(), "s@example.com", 1
    )


def test_random_garbage_never_raises() -> None:
    rng = random.Random(20261125)
    alphabet = string.printable + "äſK<>@+-."
    genuine = issue_reply_address(SECRET, "support@example.com", 42)
    for _ in range(3000):
        junk = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        mutated = list(genuine)
        mutated[rng.randrange(len(mutated))] = rng.choice(alphabet)
        for text in (junk, "".join(mutated)):
            reply = parse_reply_address(SECRET, text)
            assert reply is None or text.strip().strip("<>").lower() == genuine
            assert parse_message_id(SECRET, text) is None
            assert parse_agent_token(SECRET, text, today=TODAY) is None
            assert parse_agent_reply_address(SECRET, text, today=TODAY) is None
