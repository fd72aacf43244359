"""Which Authentication-Results headers are ours, and which results block relaying."""

from __future__ import annotations

from mailgate.agentmail.authresults import authserv_id_of, check_authentication, parse_authserv_ids

OURS = frozenset({"mx.example.org"})


def ar(value: str) -> tuple[str, str]:
    return ("Authentication-Results", value)


RECEIVED = ("Received", "from mail.corp.example by mx.example.org")


def test_authserv_id_parsing() -> None:
    assert authserv_id_of("MX.Example.org 1; none") == "mx.example.org"
    assert authserv_id_of(" (comment) mx.example.org; dkim=pass") == "mx.example.org"
    assert parse_authserv_ids("mx1.example.org, MX2.example.org") == {"mx1.example.org", "mx2.example.org"}


def test_nothing_configured_or_nothing_written_blocks_nothing() -> None:
    headers = [ar("mx.example.org; dkim=fail")]
    assert not check_authentication(headers, frozenset()).blocked
    assert not check_authentication([RECEIVED], OURS).blocked


def test_spf_dmarc_and_dkim_fail_block() -> None:
    for result in ("spf=fail smtp.mailfrom=corp.example", "dmarc=fail header.from=corp.example", "dkim=fail"):
        verdict = check_authentication([ar(f"mx.example.org; {result}"), RECEIVED], OURS, "corp.example")
        assert verdict.blocked, result


def test_softfail_and_none_do_not_block() -> None:
    headers = [ar("mx.example.org; spf=softfail; dkim=none; dmarc=none"), RECEIVED]
    assert not check_authentication(headers, OURS, "corp.example").blocked


def test_dkim_fail_beside_an_aligned_pass_does_not_block_but_beside_a_foreign_pass_does() -> None:
    aligned = ar("mx.example.org; dkim=pass header.d=corp.example; dkim=fail header.d=list.example")
    assert not check_authentication([aligned], OURS, "sub.corp.example").blocked
    foreign = ar("mx.example.org; dkim=pass header.d=evil.example; dkim=fail header.d=corp.example")
    assert check_authentication([foreign], OURS, "corp.example").blocked


def test_only_the_topmost_block_counts() -> None:
    forged_pass = ar("mx.example.org; dkim=pass header.d=corp.example")
    verdict = check_authentication(
        [ar("mx.example.org; dkim=fail header.d=corp.example"), RECEIVED, forged_pass], OURS, "corp.example"
    )
    assert verdict.blocked and verdict.headers_trusted == 1
    forged_fail_below = [
        ar("mx.example.org; dkim=pass header.d=corp.example"),
        RECEIVED,
        ar("mx.example.org; spf=fail"),
    ]
    assert not check_authentication(forged_fail_below, OURS, "corp.example").blocked


def test_later_hops_above_are_passed_over_and_a_foreign_header_ends_the_block() -> None:
    headers = [("Received", "from mx.example.org by mailgate"), ar("mx.example.org; spf=fail"), RECEIVED]
    assert check_authentication(headers, OURS).blocked
    foreign_first = [ar("relay.example.net; dkim=pass"), ar("mx.example.org; spf=fail")]
    assert not check_authentication(foreign_first, OURS).blocked


def test_an_unreadable_header_of_ours_blocks() -> None:
    verdict = check_authentication([ar("mx.example.org; ;;; =garbage")], OURS)
    assert verdict.blocked and "unreadable" in verdict.failures[0]
