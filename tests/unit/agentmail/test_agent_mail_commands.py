"""Command lines at the top of an agent's answer."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mailgate.agentmail.commands import DEFAULT_PENDING, parse_commands


def test_no_commands_leaves_the_text() -> None:
    found = parse_commands("Hello Jane,\n#close is what I will do next.\n")
    assert (found.text, found.note, found.state, found.lines) == (
        "Hello Jane,\n#close is what I will do next.",
        False,
        None,
        (),
    )


def test_commands_on_the_first_lines_are_removed() -> None:
    found = parse_commands("\n#Note\n\n#close\nDuplicate.\n#pending\n")
    assert found.note and found.state == "closed successful"
    assert found.text == "Duplicate.\n#pending"  # only leading lines are commands
    assert found.lines == ("#Note", "#close")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("#pending", DEFAULT_PENDING),
        ("#pending 4h", timedelta(hours=4)),
        ("#pending 3 days", timedelta(days=3)),
        ("#pending 2w", timedelta(weeks=2)),
    ],
)
def test_pending_durations(line: str, expected: timedelta) -> None:
    found = parse_commands(f"{line}\nWaiting for you.")
    assert (found.state, found.pending_for, found.problems) == ("pending reminder", expected, ())


@pytest.mark.parametrize("arg", ["tomorrow", "0d", "999w"])
def test_unreadable_or_out_of_range_pending_falls_back_to_one_day(arg: str) -> None:
    found = parse_commands(f"#pending {arg}\nText")
    assert found.pending_for == DEFAULT_PENDING and len(found.problems) == 1


def test_second_state_command_is_ignored_and_reported() -> None:
    found = parse_commands("#close\n#pending\nBye")
    assert found.state == "closed successful" and found.text == "Bye"
    assert found.problems and "ignored" in found.problems[0]


def test_close_unsuccessful() -> None:
    assert parse_commands("#close unsuccessful\nGave up.").state == "closed unsuccessful"


def test_hash_words_that_are_not_commands_end_the_command_block() -> None:
    found = parse_commands("#notes for later\nText")
    assert found.lines == () and found.text == "#notes for later\nText"
