"""RFC 3463 status codes: found in a report's text or recovered from SMTP replies and wording."""

from __future__ import annotations

import re

ENHANCED = re.compile(r"(?<![\w.])([245])\.(\d{1,3})\.(\d{1,3})(?!\.?\d)")
REPLY_CODE = re.compile(r"(?<![\w.:/#-])([245][0-5]\d)(?=[ \t-]|$)", re.M)

# Wording of common failures, most specific first, and the RFC 3463 subject.detail
# that each stands for (the same grouping sisimai's reason table uses).
_WORDING: tuple[tuple[str, tuple[str, ...], str], ...] = (
    (
        "mesgtoobig",
        (
            r"message (size )?(is )?too (big|large)",
            r"exceeds? (the )?(maximum )?(message )?size",
            r"size limit",
        ),
        "3.4",
    ),
    (
        "mailboxfull",
        (
            r"mailbox (is )?full|over ?quota|quota (exceeded|full)|exceeded (storage|quota)",
            r"insufficient (disk|storage)|mailbox size limit|disk quota",
        ),
        "2.2",
    ),
    (
        "suspend",
        (
            r"account (is )?(disabled|suspended|inactive|locked|deactivated)",
            r"mailbox (is )?(disabled|inactive|suspended)",
        ),
        "2.1",
    ),
    ("hasmoved", (r"has moved|no longer (valid|available|with)",), "1.6"),
    (
        "hostunknown",
        (
            r"host (or domain name )?(unknown|not found)|unknown host",
            r"domain (name )?(not found|does not exist)",
            r"no such domain|name service error|unrouteable|no mx",
        ),
        "1.2",
    ),
    (
        "userunknown",
        (
            r"user ?(unknown|not found|doesn'?t exist|does not exist)",
            r"unknown (user|recipient|local[- ]part|mailbox|address)",
            r"no such (user|mailbox|recipient|address|account)",
            r"mailbox (unavailable|not found|does not exist|doesn'?t exist)",
            r"(recipient|address|mailbox|account) (does not exist|doesn'?t exist|not found|rejected|unknown)",
            r"(recipient|address|mailbox|account) (is not valid|invalid)",
            r"invalid (recipient|mailbox|address|user)|not listed in|not a valid (mailbox|user|recipient)",
            r"recipient not (found|recognized)|name is not recognized",
        ),
        "1.1",
    ),
    (
        "expired",
        (
            r"expired|too long in queue|retry (time|timeout) exceeded|could not be delivered (for|within)",
            r"giving up|delivery time ?out|failing for a long time",
        ),
        "4.7",
    ),
    (
        "norelaying",
        (r"relay(ing)? (access )?(denied|not (permitted|allowed))|not permitted to relay|unable to relay",),
        "7.1",
    ),
    ("virusdetected", (r"virus|malware|infected",), "7.1"),
    ("spamdetected", (r"\bspam|junk mail|bulk mail",), "7.1"),
    ("blocked", (r"block(ed|list)|blacklist|\brbl\b|spamhaus|access denied|reputation|banned",), "7.1"),
    (
        "networkerror",
        (
            r"connection (refused|timed out|reset)|timed out",
            r"network (is )?unreachable|no route to host|could not connect",
        ),
        "4.1",
    ),
    ("systemfull", (r"system (is )?full|insufficient system storage",), "3.1"),
    (
        "systemerror",
        (r"system error|local error|internal (server )?error", r"mail loop|loops? back|too many hops"),
        "3.0",
    ),
)
REASONS: tuple[tuple[str, re.Pattern[str], str], ...] = tuple(
    (reason, re.compile("|".join(patterns), re.I), detail) for reason, patterns, detail in _WORDING
)
REPLY_DETAIL = {
    "552": "2.2",
    "553": "1.3",
    "551": "1.6",
    "554": "0.0",
    "550": "0.0",
    "421": "4.2",
    "450": "2.0",
    "451": "3.0",
    "452": "2.2",
}


def enhanced_codes(text: str, classes: str = "45") -> list[str]:
    """RFC 3463 codes of the given classes, in order of appearance."""
    return [".".join(m.groups()) for m in ENHANCED.finditer(text or "") if m.group(1) in classes]


def reply_code(text: str) -> str:
    """The first SMTP reply code (4xx or 5xx) in a text, or ''."""
    for match in REPLY_CODE.finditer(text or ""):
        if match.group(1)[0] in "45":
            return match.group(1)
    return ""


def reason_of(text: str) -> tuple[str, str] | None:
    """The failure reason and its subject.detail that the wording points to."""
    for reason, pattern, detail in REASONS:
        if pattern.search(text or ""):
            return reason, detail
    return None


def recover(text: str, temporary: bool = False) -> str:
    """The best RFC 3463 status a diagnostic text supports: as given, or rebuilt from its wording."""
    codes = enhanced_codes(text)
    if codes:
        return most_specific(codes)
    smtp = reply_code(text)
    klass = smtp[0] if smtp else ("4" if temporary else "5")
    found = reason_of(text)
    if found is not None:
        return f"{klass}.{found[1]}"
    if smtp in REPLY_DETAIL:
        return f"{klass}.{REPLY_DETAIL[smtp]}"
    return f"{klass}.0.0"


def most_specific(codes: list[str]) -> str:
    """The last code that is not the catch-all X.0.0 (the remote reply comes last), else the first."""
    return next((code for code in reversed(codes) if not code.endswith(".0.0")), codes[0])


def is_generic(status: str) -> bool:
    """Whether a status carries no detail (X.0.0) or is missing."""
    return not status or status.endswith(".0.0")
