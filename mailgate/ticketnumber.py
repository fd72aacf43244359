"""Znuny-compatible DateChecksum ticket numbers and the Ticket# hook in subjects.

A number is ``YYYYMMDD`` + SystemID + a counter padded to at least five digits
+ one check digit, exactly as Znuny's ``Kernel::System::Ticket::Number::DateChecksum``
builds it. The counter comes from Znuny's ``ticket_number_counter`` table; taking
the next value is database work for the repository layer, which must implement
:class:`TicketCounter` (one row per number, the counter restarting each day,
gaps tolerated) and then call :func:`format_ticket_number`.

The subject helpers follow ``GetTNByString``, ``TicketSubjectBuild`` and
``TicketSubjectClean`` of Znuny's ``Kernel::System::Ticket``, with two deliberate
differences: the check digit is verified (Znuny only matches the digit pattern),
and the reply/forward prefixes are a list of literal words that are escaped
before they go into a regex (Znuny pastes ``Ticket::SubjectRe`` into one raw).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Literal, Protocol

from mailgate.errors import MailgateError

DEFAULT_HOOK = "Ticket#"
"""Znuny's default ``Ticket::Hook``."""

DEFAULT_HOOK_DIVIDER = ""
"""Znuny's default ``Ticket::HookDivider`` is empty: subjects read ``[Ticket#2026112510000017]``."""

DEFAULT_MIN_COUNTER_SIZE = 5
DEFAULT_SUBJECT_SIZE = 100
"""Znuny's default ``Ticket::SubjectSize``."""

MAX_COUNTER_DIGITS = 39
"""Znuny's recognition pattern allows 4 to 40 digits after the SystemID (counter and check digit)."""

DEFAULT_REPLY_PREFIXES: tuple[str, ...] = (
    "Re", "Aw", "Antw", "Antwort", "Sv", "Vs", "R", "Rif", "Rép", "Odp",
    "Ynt", "Atb", "Vá", "Res", "Απ", "Σχετ", "Отв", "Ответ", "回复", "答复", "回覆",
)  # fmt: skip
"""Reply markers seen in the wild; ``Ref:`` is left out on purpose (it starts real subjects)."""

DEFAULT_FORWARD_PREFIXES: tuple[str, ...] = (
    "Fwd", "Fw", "WG", "Tr", "Rv", "Enc", "Doorst", "Vb", "Vl", "Pd", "İlt",
    "Πρθ", "Пересл", "转发", "轉寄",
)  # fmt: skip
"""Forward markers seen in the wild."""

SubjectAction = Literal["reply", "forward", "new"]
SubjectFormat = Literal["left", "right", "none"]


class TicketNumberError(MailgateError):
    """A ticket number cannot be built from the given parts."""


class TicketCounter(Protocol):
    """What the repository must provide to allocate numbers (Znuny's TicketNumberCounterAdd).

    Znuny inserts a ``ticket_number_counter`` row (counter 0, a unique ``counter_uid``),
    then gives every still-zero row of the day up to its own id the previous row's
    counter + 1, so concurrent writers agree without a lock. Rows of earlier days
    are ignored (``create_time`` >= midnight), which restarts the counter daily; old
    rows are pruned. If the resulting number is already in ``ticket.tn`` Znuny tries
    again with a larger offset. ``day`` is the date in the system's time zone.
    """

    def next_counter(self, day: date) -> int:
        """Insert a ticket_number_counter row and return its value: 1 for the first ticket of ``day``."""
        ...


def checksum_digit(digits: str) -> int:
    """Znuny's check digit: weights 1,2,1,2,... left to right, 10 - sum mod 10, with 10 written as 1."""
    total = sum(int(char) * (1 if index % 2 == 0 else 2) for index, char in enumerate(digits))
    check = 10 - total % 10
    return 1 if check == 10 else check


def format_ticket_number(
    day: date, system_id: str, counter: int, min_counter_size: int = DEFAULT_MIN_COUNTER_SIZE
) -> str:
    """Build the DateChecksum number for the ``counter``-th ticket of ``day``."""
    if not system_id.isdigit() or not system_id.isascii():
        raise TicketNumberError(f"SystemID must be decimal digits, got {system_id!r}")
    if counter < 1:
        raise TicketNumberError(f"counter must be positive, got {counter}")
    if min_counter_size < 1:
        raise TicketNumberError(f"min_counter_size must be positive, got {min_counter_size}")
    body = f"{day:%Y%m%d}{system_id}{counter:0{min_counter_size}d}"
    return body + str(checksum_digit(body))


def is_valid_ticket_number(tn: str, system_id: str) -> bool:
    """True if ``tn`` is a DateChecksum number of this SystemID with a real date and a correct check digit."""
    if not (tn.isascii() and tn.isdigit() and system_id.isascii() and system_id.isdigit()):
        return False
    tail = tn[8 + len(system_id) :]
    if tn[8 : 8 + len(system_id)] != system_id or not 4 <= len(tail) <= MAX_COUNTER_DIGITS + 1:
        return False
    try:
        date(int(tn[0:4]), int(tn[4:6]), int(tn[6:8]))
    except ValueError:
        return False
    return checksum_digit(tn[:-1]) == int(tn[-1])


@lru_cache(maxsize=64)
def _number_pattern(hook: str, divider: str, system_id: str) -> re.Pattern[str]:
    """The regex that finds ``hook`` + divider (or ``:`` and up to two spaces, or nothing) + a number."""
    separators = sorted({re.escape(divider), r":\s{0,2}", ""}, key=len, reverse=True)
    return re.compile(
        rf"{re.escape(hook)}(?:{'|'.join(separators)})(\d{{8}}{re.escape(system_id)}\d{{4,40}})(?!\d)",
        re.IGNORECASE,
    )


def find_ticket_numbers(
    text: str, hook: str = DEFAULT_HOOK, system_id: str = "10", divider: str = DEFAULT_HOOK_DIVIDER
) -> list[str]:
    """Every valid ticket number of this SystemID that follows the hook in ``text``, in order, once each."""
    if not hook or not text:
        return []
    found: list[str] = []
    for match in _number_pattern(hook, divider, system_id).finditer(text):
        tn = match.group(1)
        if tn not in found and is_valid_ticket_number(tn, system_id):
            found.append(tn)
    return found


@dataclass(frozen=True, slots=True)
class SubjectStyle:
    """How subjects carry the ticket number: Znuny's Ticket::Hook, HookDivider, SubjectFormat and friends."""

    hook: str = DEFAULT_HOOK
    divider: str = DEFAULT_HOOK_DIVIDER
    subject_format: SubjectFormat = "left"
    reply_prefix: str = "Re"
    forward_prefix: str = "Fwd"
    reply_prefixes: tuple[str, ...] = DEFAULT_REPLY_PREFIXES
    forward_prefixes: tuple[str, ...] = DEFAULT_FORWARD_PREFIXES
    size: int = DEFAULT_SUBJECT_SIZE


DEFAULT_STYLE = SubjectStyle()


@lru_cache(maxsize=64)
def _prefix_pattern(prefixes: tuple[str, ...]) -> re.Pattern[str]:
    """Leading runs of ``Re:``, ``AW[2]:``, ``Fwd (3) :``, ``回复：`` built from escaped literal words."""
    words = "|".join(re.escape(word) for word in sorted(set(prefixes), key=len, reverse=True) if word)
    if not words:
        return re.compile(r"(?!)")
    return re.compile(rf"^(?:\s*(?:{words})\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*)+", re.IGNORECASE)


@lru_cache(maxsize=64)
def _hook_pattern(style: SubjectStyle, tn: str | None) -> re.Pattern[str]:
    """Bracketed or bare ``hook`` + divider + number (only ``tn`` if given), with trailing blanks."""
    number = re.escape(tn) if tn else r"\d+"
    separators = sorted({re.escape(style.divider), r":\s{0,2}", r"\s?"}, key=len, reverse=True)
    core = rf"{re.escape(style.hook)}(?:{'|'.join(separators)}){number}(?!\d)"
    return re.compile(rf"\[\s*{core}\s*\]\s*|{core}\s*", re.IGNORECASE)


def clean_subject(
    subject: str, style: SubjectStyle = DEFAULT_STYLE, *, tn: str | None = None, size: int = 0
) -> str:
    """Strip hook+number (only ``tn`` if given, else any) and leading Re:/Fwd: prefixes; cut to ``size``."""
    cleaned = _hook_pattern(style, tn).sub("", subject)
    words = (*style.reply_prefixes, *style.forward_prefixes, style.reply_prefix, style.forward_prefix)
    prefixes = _prefix_pattern(words)
    cleaned = " ".join(prefixes.sub("", cleaned.strip()).split())
    if size and len(cleaned) > size:
        cleaned = cleaned[:size] + " [...]"
    return cleaned


def build_subject(
    tn: str,
    subject: str,
    style: SubjectStyle = DEFAULT_STYLE,
    *,
    action: SubjectAction = "reply",
    cleanup: bool = True,
) -> str:
    """The subject of an outgoing mail about ticket ``tn``, like Znuny's TicketSubjectBuild."""
    text = clean_subject(subject, style, tn=tn, size=style.size) if cleanup else subject
    if action == "new":
        lead = ""
    else:
        word = style.forward_prefix if action == "forward" else style.reply_prefix
        lead = f"{word}: " if word else ""
    tag = f"[{style.hook}{style.divider}{tn}]"
    if style.subject_format == "none":
        return lead + text
    if style.subject_format == "right":
        return f"{lead}{text} {tag}" if text else f"{lead}{tag}"
    return f"{lead}{tag} {text}" if text else f"{lead}{tag}"
