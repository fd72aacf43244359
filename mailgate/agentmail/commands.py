"""Command lines at the top of an agent's answer: ``#note``, ``#close`` and ``#pending [N h|d|w]``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

CLOSED_SUCCESSFUL = "closed successful"
CLOSED_UNSUCCESSFUL = "closed unsuccessful"
PENDING_REMINDER = "pending reminder"
DEFAULT_PENDING = timedelta(days=1)
MAX_PENDING = timedelta(days=366)
MAX_COMMAND_LINES = 5

_COMMAND = re.compile(r"^\s*#(?P<name>note|close|pending)(?=\s|$)\s*(?P<arg>.{0,40}?)\s*$", re.I)
_DURATION = re.compile(r"^(?P<count>[0-9]{1,3})\s*(?P<unit>h|hours?|d|days?|w|weeks?)$", re.I)
_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}


@dataclass(frozen=True, slots=True)
class Commands:
    """What the command lines asked for, the text without them, and the lines themselves."""

    text: str
    note: bool = False
    state: str | None = None
    pending_for: timedelta | None = None
    lines: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()


def _pending_for(arg: str) -> tuple[timedelta, str | None]:
    """The duration of ``#pending``'s argument (default one day), and a problem if it is unreadable."""
    if not arg:
        return DEFAULT_PENDING, None
    match = _DURATION.match(arg.strip())
    if match is None:
        return DEFAULT_PENDING, f"#pending {arg!r} not understood: pending for {DEFAULT_PENDING}"
    wanted = int(match["count"]) * _UNITS[match["unit"][0].lower()]
    if not timedelta(0) < wanted <= MAX_PENDING:
        return DEFAULT_PENDING, f"#pending {arg!r} out of range: pending for {DEFAULT_PENDING}"
    return wanted, None


def parse_commands(text: str) -> Commands:
    """Read command lines from the top of ``text`` (blank lines between them allowed) and remove them."""
    lines = text.replace("\r\n", "\n").split("\n")
    index = 0
    seen: list[str] = []
    problems: list[str] = []
    note, state, pending_for = False, None, None
    while index < len(lines) and len(seen) < MAX_COMMAND_LINES:
        line = lines[index]
        match = _COMMAND.match(line)
        if match is None and line.strip():
            break
        index += 1
        if match is None:
            continue
        name, arg = match["name"].lower(), match["arg"]
        seen.append(line.strip())
        if name == "note":
            note = True
        elif state is not None:
            problems.append(f"{line.strip()!r} ignored: state already set to {state!r}")
        elif name == "close":
            state = CLOSED_UNSUCCESSFUL if arg.strip().lower() == "unsuccessful" else CLOSED_SUCCESSFUL
        else:
            state = PENDING_REMINDER
            pending_for, problem = _pending_for(arg)
            problems.extend([problem] if problem else [])
    rest = "\n".join(lines[index:]).strip() if seen else text.strip()
    return Commands(rest, note, state, pending_for, tuple(seen), tuple(problems))
