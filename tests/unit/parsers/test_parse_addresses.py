import time

from parsers import parse
from parsers.addresses import parse_addresses
from tests.unit.parsers.parser_mails import mail


def emails(value: str) -> list[tuple[str, str]]:
    return [(a.email, a.name) for a in parse_addresses(value, [])]


def test_display_names_quoted_and_encoded():
    assert emails('"Doe, John" <j@x.com>, =?utf-8?q?Doe=2C_J=C3=BCrgen?= <jj@ex.de>') == [
        ("j@x.com", "Doe, John"),
        ("jj@ex.de", "Doe, Jürgen"),
    ]
    assert emails('"=?utf-8?q?J=C3=BCrgen?=" <x@y.de>') == [("x@y.de", "Jürgen")]


def test_groups_are_flattened_and_empty_groups_give_nothing():
    assert emails("Team: a@b.example, c@d.example;") == [("a@b.example", ""), ("c@d.example", "")]
    assert emails("undisclosed-recipients:;") == []


def test_idn_and_utf8_addresses():
    assert emails("Jörg <jörg@bücher.example>") == [("jörg@bücher.example", "Jörg")]
    assert emails("user@xn--bcher-kva.example") == [("user@xn--bcher-kva.example", "")]


def test_tolerant_fallback_for_what_parsers_reject():
    assert emails('"secret" <power quadrant system@example.com>') == [
        ("power quadrant system@example.com", "secret")
    ]
    assert emails("broken <a@b.example") == [("a@b.example", "broken")]
    assert emails("john@x.example <john@x.example>") == [("john@x.example", "john@x.example")]
    assert emails("Mail Delivery System <MAILER-DAEMON>") == [("MAILER-DAEMON", "Mail Delivery System")]


def test_from_without_usable_address_falls_back_to_reply_to():
    parsed = parse(mail('From: "=?GB2312?B?ztI=?=" <>\nReply-To: <real@example.com>\nTo: t@example.com'))
    assert parsed.from_ is not None and parsed.from_.email == "real@example.com"


def test_duplicate_to_headers_are_merged():
    parsed = parse(mail("From: a@example.com\nTo: b@example.com\nTo: c@example.com"))
    assert [a.email for a in parsed.to] == ["b@example.com", "c@example.com"]


def test_hostile_address_headers_stay_fast():
    for value in ["a" * 16000, "a@" * 8000, "<" * 16000, '"' * 16000, "x " * 8000 + "@"]:
        began = time.process_time()
        parse_addresses(value, [])
        assert time.process_time() - began < 1.0


def test_display_names_lose_quotes_like_a_helpdesk_shows_them():
    assert emails('"Jane \\"JD\\" Doe" <j@x.example>') == [("j@x.example", "Jane JD Doe")]
    assert emails("'Jane Doe' <j@x.example>") == [("j@x.example", "Jane Doe")]
    assert emails("j@x.example (Jane Doe)") == [("j@x.example", "Jane Doe")]
