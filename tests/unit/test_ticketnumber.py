"""DateChecksum numbers and subject handling; expected values worked out by hand from Znuny's algorithm."""

from datetime import date

import pytest

from mailgate.errors import MailgateError
from mailgate.ticketnumber import (
    SubjectStyle,
    TicketNumberError,
    build_subject,
    checksum_digit,
    clean_subject,
    find_ticket_numbers,
    format_ticket_number,
    is_valid_ticket_number,
)

TN = "2026112510000017"  # 2026-11-25, SystemID 10, counter 00001, check digit 7

# ---------------------------------------------------------------- check digit and format


@pytest.mark.parametrize(
    ("digits", "expected"),
    [
        # weights 1,2,1,2..: 2+0+2+12+1+2+2+10+1+0 + 0+0+0+0+1 = 33 -> 10-3 = 7
        ("202611251000001", 7),
        # Znuny's own example in DateChecksum.pm: 2002062310100011 -> sum 29 -> 1
        ("200206231010001", 1),
        # sum 40 -> 10 - 0 = 10, which Znuny writes as 1 (not 0)
        ("202611251000008", 1),
        # sum 41 -> 9
        ("202611251000009", 9),
        ("", 1),
    ],
)
def test_checksum_digit_matches_hand_computation(digits: str, expected: int) -> None:
    assert checksum_digit(digits) == expected


def test_format_first_ticket_of_the_day() -> None:
    assert format_ticket_number(date(2026, 11, 25), "10", 1) == TN


def test_format_reproduces_znuny_documentation_example() -> None:
    assert format_ticket_number(date(2002, 6, 23), "10", 10001) == "2002062310100011"


@pytest.mark.parametrize(
    ("counter", "expected"),
    [
        (2, "2026112510000026"),  # sum 34 -> 6
        (8, "2026112510000081"),  # sum 40 -> 10 -> written as 1
        (9, "2026112510000099"),  # sum 41 -> 9
        (12345, "2026112510123457"),  # 32 + 1+4+3+8+5 = 53 -> 7
    ],
)
def test_format_counters(counter: int, expected: str) -> None:
    assert format_ticket_number(date(2026, 11, 25), "10", counter) == expected


def test_format_counter_wider_than_padding_and_other_system_id() -> None:
    # 20250102 -> 2+0+2+10+0+2+0+4 = 20; SystemID 99 -> 9+18 = 27; counter 123456 -> 1+4+3+8+5+12 = 33
    # total 80 -> 10 - 0 -> 1
    assert format_ticket_number(date(2025, 1, 2), "99", 123456) == "20250102991234561"


def test_format_min_counter_size() -> None:
    # 2026112510 -> 32; counter "0000001" at weights 1,2,1,2,1,2,1 -> +1 = 33 -> 7
    assert format_ticket_number(date(2026, 11, 25), "10", 1, min_counter_size=7) == "202611251000000017"


@pytest.mark.parametrize(
    ("system_id", "counter", "size"),
    [("1a", 1, 5), ("", 1, 5), ("10", 0, 5), ("10", -3, 5), ("10", 1, 0), ("١٠", 1, 5)],
)
def test_format_rejects_bad_parts(system_id: str, counter: int, size: int) -> None:
    with pytest.raises(TicketNumberError) as info:
        format_ticket_number(date(2026, 11, 25), system_id, counter, size)
    assert isinstance(info.value, MailgateError)


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "tn",
    [TN, "2002062310100011", "2026112510000081", "2026112510000099", "202611251000000017"],
)
def test_valid_numbers(tn: str) -> None:
    assert is_valid_ticket_number(tn, "10")


def test_wrong_check_digit_is_rejected() -> None:
    for digit in "0123456789":
        candidate = TN[:-1] + digit
        assert is_valid_ticket_number(candidate, "10") is (digit == "7")


def test_issue_example_number_has_a_wrong_check_digit() -> None:
    # the number quoted in issue 4 is not a DateChecksum number: its check digit would be 7
    assert not is_valid_ticket_number("2026112510000012", "10")


def test_foreign_system_id_is_rejected() -> None:
    # SystemID 11: 2+0+2+12+1+2+2+10 + 1+2 + 1 = 35 -> 5
    foreign = "2026112511000015"
    assert format_ticket_number(date(2026, 11, 25), "11", 1) == foreign
    assert is_valid_ticket_number(foreign, "11")
    assert not is_valid_ticket_number(foreign, "10")
    assert not is_valid_ticket_number(TN, "11")


def test_impossible_date_is_rejected_even_with_matching_check_digit() -> None:
    body = "20261331" + "10" + "00001"
    assert not is_valid_ticket_number(body + str(checksum_digit(body)), "10")


@pytest.mark.parametrize(
    "tn",
    ["", "abc", "2026112510", "20261125100", "202611251000017", TN + "x", " " + TN, "２０２６112510000017"],
)
def test_garbage_is_not_valid(tn: str) -> None:
    assert not is_valid_ticket_number(tn, "10")


def test_check_digit_is_weak_a_zero_five_swap_at_weight_two_goes_unnoticed() -> None:
    # Znuny multiplies without summing the digits of products (unlike Luhn): 5*2=10 counts like 0*2=0.
    # The check digit catches typos, it is no protection against guessing.
    assert is_valid_ticket_number("2026112510050017", "10")  # index 11 (weight 2): 0 -> 5


# ---------------------------------------------------------------- finding numbers


@pytest.mark.parametrize(
    "subject",
    [
        f"[Ticket#{TN}] Printer broken",
        f"Re: [Ticket#{TN}] Printer broken",
        f"Printer broken [Ticket#{TN}]",
        f"Ticket#: {TN} Printer broken",
        f"Ticket#:  {TN} Printer broken",
        f"Ticket#:{TN}",
        f"Ticket#{TN}",
        f"AW: WG: [ticket#{TN}] lower-case hook",
        f"[TICKET#{TN}]",
    ],
)
def test_find_number_in_znuny_formats(subject: str) -> None:
    assert find_ticket_numbers(subject, "Ticket#", "10") == [TN]


def test_find_ignores_invalid_foreign_and_unhooked_numbers() -> None:
    subject = f"[Ticket#2026112510000012] [Ticket#2026112511000015] {TN} Ticket#20261125100000170"
    assert find_ticket_numbers(subject, "Ticket#", "10") == []


def test_find_returns_all_valid_numbers_in_order_once() -> None:
    subject = f"Re: [Ticket#2002062310100011] merged with Ticket#{TN} and [Ticket#2002062310100011]"
    assert find_ticket_numbers(subject, "Ticket#", "10") == ["2002062310100011", TN]


def test_find_with_configured_divider_and_hook() -> None:
    assert find_ticket_numbers(f"[Call#: {TN}] x", "Call#", "10", divider=": ") == [TN]
    assert find_ticket_numbers(f"[Call# - {TN}] x", "Call#", "10", divider=" - ") == [TN]
    assert find_ticket_numbers(f"[Ticket#{TN}] x", "Call#", "10") == []


def test_hook_is_escaped_in_the_regex() -> None:
    assert find_ticket_numbers(f"T.#{TN}", "T.#", "10") == [TN]
    assert find_ticket_numbers(f"TX#{TN}", "T.#", "10") == []
    assert find_ticket_numbers(f"[Req(1)+{TN}]", "Req(1)+", "10") == [TN]


def test_find_on_empty_input() -> None:
    assert find_ticket_numbers("", "Ticket#", "10") == []
    assert find_ticket_numbers(f"Ticket#{TN}", "", "10") == []


# ---------------------------------------------------------------- cleaning subjects


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Re: Printer broken", "Printer broken"),
        ("RE: AW: WG: Fwd: Printer broken", "Printer broken"),
        ("Re: Re: Re: Printer broken", "Printer broken"),
        ("AW[2]: Printer broken", "Printer broken"),
        ("Re(3): Printer broken", "Printer broken"),
        ("Re : Printer broken", "Printer broken"),
        ("Fwd:Printer broken", "Printer broken"),
        ("Antw: Printer broken", "Printer broken"),
        ("Antwort: Printer broken", "Printer broken"),
        ("SV: Printer broken", "Printer broken"),
        ("VS: Printer broken", "Printer broken"),
        ("R: Printer broken", "Printer broken"),
        ("RIF: Printer broken", "Printer broken"),
        ("TR: Printer broken", "Printer broken"),
        ("RV: Printer broken", "Printer broken"),
        ("ENC: Printer broken", "Printer broken"),
        ("RES: Printer broken", "Printer broken"),
        ("Odp: Printer broken", "Printer broken"),
        ("Doorst: Printer broken", "Printer broken"),
        ("YNT: Printer broken", "Printer broken"),
        ("Απ: Printer broken", "Printer broken"),
        ("Ответ: Printer broken", "Printer broken"),
        ("回复：Printer broken", "Printer broken"),
        ("转发: 回复: Printer broken", "Printer broken"),
        (f"Re: [Ticket#{TN}] Printer broken", "Printer broken"),
        (f"AW: Ticket#: {TN} Printer broken", "Printer broken"),
        (f"Printer broken [Ticket#{TN}]", "Printer broken"),
        (f"Re: [Ticket#{TN}] Re: Printer   broken ", "Printer broken"),
        ("Report: Q3 figures", "Report: Q3 figures"),
        ("Reply needed", "Reply needed"),
        ("Ref: order 4711", "Ref: order 4711"),
        ("Printer broken. Re: toner", "Printer broken. Re: toner"),
        ("Re:", ""),
        ("", ""),
    ],
)
def test_clean_subject(subject: str, expected: str) -> None:
    assert clean_subject(subject) == expected


def test_clean_only_the_given_number() -> None:
    other = "2002062310100011"
    assert clean_subject(f"[Ticket#{other}] [Ticket#{TN}] x", tn=TN) == f"[Ticket#{other}] x"


def test_clean_with_configured_prefixes_escapes_them() -> None:
    style = SubjectStyle(
        reply_prefixes=("R.E",), forward_prefixes=("F+",), reply_prefix="", forward_prefix=""
    )
    assert clean_subject("R.E: F+: x", style) == "x"
    assert clean_subject("RXE: x", style) == "RXE: x"
    assert clean_subject("FF: x", style) == "FF: x"
    assert clean_subject("Re: x", style) == "Re: x"


def test_clean_cuts_to_size_like_znuny() -> None:
    assert clean_subject("x" * 120, size=100) == "x" * 100 + " [...]"
    assert clean_subject("x" * 100, size=100) == "x" * 100


# ---------------------------------------------------------------- building subjects


def test_build_reply_subject() -> None:
    assert build_subject(TN, "Printer broken") == f"Re: [Ticket#{TN}] Printer broken"


def test_build_reply_to_a_reply_does_not_stack_prefixes() -> None:
    subject = f"AW: Re: [Ticket#{TN}] Printer broken"
    assert build_subject(TN, subject) == f"Re: [Ticket#{TN}] Printer broken"


def test_build_forward_and_new() -> None:
    assert build_subject(TN, "Re: Printer broken", action="forward") == f"Fwd: [Ticket#{TN}] Printer broken"
    assert build_subject(TN, "Printer broken", action="new") == f"[Ticket#{TN}] Printer broken"


def test_build_with_divider_is_found_again() -> None:
    style = SubjectStyle(divider=": ")
    subject = build_subject(TN, "Printer broken", style)
    assert subject == f"Re: [Ticket#: {TN}] Printer broken"
    assert find_ticket_numbers(subject, "Ticket#", "10", divider=": ") == [TN]
    assert clean_subject(subject, style) == "Printer broken"


def test_build_right_and_none_formats() -> None:
    right = SubjectStyle(subject_format="right")
    assert build_subject(TN, "Printer broken", right) == f"Re: Printer broken [Ticket#{TN}]"
    assert build_subject(TN, "Printer broken", SubjectStyle(subject_format="none")) == "Re: Printer broken"


def test_build_without_cleanup_and_with_empty_subject() -> None:
    assert build_subject(TN, "Re: x", action="new", cleanup=False) == f"[Ticket#{TN}] Re: x"
    assert build_subject(TN, "") == f"Re: [Ticket#{TN}]"


def test_build_truncates_long_subjects() -> None:
    assert build_subject(TN, "y" * 150) == f"Re: [Ticket#{TN}] " + "y" * 100 + " [...]"


def test_built_subject_round_trips() -> None:
    for action in ("reply", "forward", "new"):
        subject = build_subject(TN, "Re: Fwd: Printer broken", action=action)
        assert find_ticket_numbers(subject, "Ticket#", "10") == [TN]
        assert clean_subject(subject) == "Printer broken"
