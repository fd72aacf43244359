"""The pure auto-reply checks: which mails and which recipients never get an auto-reply."""

from __future__ import annotations

import pytest

from mailgate.outbound.policy import (
    AutoReplyLimits,
    auto_reply_recipient,
    mail_refusal,
    own_address,
    recipient_refusal,
)
from parsers import parse

SYSTEM = frozenset({"support@example.org"})


def raw(*headers: str, sender: str = "Jane <jane@customer.example>") -> bytes:
    lines = [
        f"From: {sender}",
        "To: support@example.org",
        "Subject: Printer",
        "Message-ID: <a@b.example>",
        *headers,
    ]
    return ("\r\n".join(lines) + "\r\n\r\nHello\r\n").encode()


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ((), None),
        (("Auto-Submitted: no",), None),
        (("X-Auto-Response-Suppress: DR, RN, NRN",), None),  # Outlook on ordinary mail: read receipts only
        (("Auto-Submitted: auto-generated",), "auto_generated"),
        (("Auto-Submitted: auto-replied (vacation)",), "auto_generated"),
        (("Precedence: bulk",), "auto_generated"),
        (("List-Id: <dev.lists.example>",), "auto_generated"),
        (("X-Autoreply: yes",), "auto_generated"),
        (("X-Loop: helpdesk@elsewhere.example",), "sender_opt_out"),
        (("X-No-Loop: 1",), "sender_opt_out"),
        (("X-Auto-Response-Suppress: All",), "sender_opt_out"),
        (("X-Auto-Response-Suppress: OOF, AutoReply",), "sender_opt_out"),
    ],
)
def test_mail_refusal(headers: tuple[str, ...], code: str | None) -> None:
    refusal = mail_refusal(parse(raw(*headers)))
    assert (refusal.code if refusal else None) == code


def test_recipient_is_reply_to_before_from() -> None:
    parsed = parse(raw("Reply-To: Desk <desk@customer.example>, other@customer.example"))
    found = auto_reply_recipient(parsed)
    assert found is not None and (found.email, found.name) == ("desk@customer.example", "Desk")
    plain = auto_reply_recipient(parse(raw()))
    assert plain is not None and plain.email == "jane@customer.example"


@pytest.mark.parametrize(
    ("address", "code"),
    [
        ("jane@customer.example", None),
        ("noreply.fan@customer.example", None),
        ("Support@Example.org", "own_address"),
        ("support+t-17-abcdefghijklmnop@example.org", "own_address"),
        ("support-t-17-abcdefghijklmnop@example.org", "own_address"),
        ("support-a-17-2-20000-abcdefghijklmnop@example.org", "own_address"),
        ("support-team@example.org", None),
        ("MAILER-DAEMON@mx.example", "no_reply_address"),
        ("postmaster@customer.example", "no_reply_address"),
        ("no-reply@shop.example", "no_reply_address"),
        ("noreply+orders@shop.example", "no_reply_address"),
        ("do_not_reply@bank.example", "no_reply_address"),
    ],
)
def test_recipient_refusal(address: str, code: str | None) -> None:
    parsed = parse(raw(sender=address))
    refusal = recipient_refusal(auto_reply_recipient(parsed), SYSTEM, AutoReplyLimits())
    assert (refusal.code if refusal else None) == code


def test_own_address_needs_the_same_domain() -> None:
    assert own_address("support+x@example.org", SYSTEM)
    assert not own_address("support@example.org.evil.example", SYSTEM)
    assert not own_address("support+x@other.example", SYSTEM)
