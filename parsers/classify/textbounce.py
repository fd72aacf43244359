"""Bounces without RFC 3464 fields (qmail, Exim, Postfix, Sendmail, Exchange...), read from their text."""

from __future__ import annotations

import re
from email.utils import getaddresses

from parsers.classify import status as codes
from parsers.classify.headers import HeaderView
from parsers.model import BounceRecipient

ADDRESS = re.compile(r"(?<![\w.+=/-])([\w.!#$%&'*+=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,})(?![\w-])")
ORIGINAL_MARKER = re.compile(
    r"^[ \t]*(?:[-=_*#]{2,}.*\b(?:original|copy|returned|rfc ?822|undelivered message|headers?|"
    r"message follows|message text|your message)\b.*"
    r"|(?:original message|returned message|unsent message|the original message|headers of the original|"
    r"your message reads|message headers follow|"
    r"the header of the original|below this line|a copy of (the|your) message)\b.{0,40}[:-]?"
    r"|.{0,40}\b(?:a copy of (?:the|your) (?:original )?message|message headers? follows?)\b.{0,30}"
    r"|Content-Type:\s*message/rfc822.*|Content-Type:\s*text/rfc822-headers.*)$",
    re.I,
)
TEMPORARY = re.compile(
    r"temporar|will (retry|try again|continue)|still being retried|delayed|delay|warning:|"
    r"not yet been delivered|deferred",
    re.I,
)
ROLE_LOCAL = re.compile(r"^(postmaster|mailer-daemon|abuse|hostmaster|webmaster|noc|support|help)$", re.I)
SENDER_HEADERS = ("from", "sender", "return-path")
RECEIVER_HEADERS = ("to", "cc", "reply-to", "delivered-to")
MAX_WINDOW_LINES = 12
MAX_RECIPIENTS = 200
MAX_SECTION = 300_000
MAX_LINES = 20_000
SENT_BY = re.compile(r"\b(sent|written|submitted) by:?\s*$", re.I)
HEADER_LINE = re.compile(r"[ \t]*(message-id|in-reply-to|references|x-[\w-]+)[ \t]*:", re.I)
MAX_MARKER_LINE = 200
LINK = re.compile(r"(?:https?|mailto):\S+", re.I)
SENDER_LINE = re.compile(
    r"^\s*(from|sender|reply-to|return-path|mail from|envelope-from|x-postfix-sender|x-sender)\s*:", re.I
)
ALIAS_LINE = re.compile(r"(generated|expanded|forwarded|redirected|aliased) (from|by)\b", re.I)


def report_section(text: str) -> str:
    """The report text up to the point where the returned original begins."""
    text = text[:MAX_SECTION]
    offset = 0
    for line in text.split("\n", MAX_LINES)[:MAX_LINES]:
        if len(line) <= MAX_MARKER_LINE and ORIGINAL_MARKER.match(line):
            return text[:offset]
        offset += len(line) + 1
    return text


def own_addresses(view: HeaderView, names: tuple[str, ...]) -> set[str]:
    """Addresses in the bounce's own headers: its sender, or whoever receives it."""
    found: set[str] = set()
    for name in names:
        value = view.get(name)
        if value:
            found.update(addr.lower() for _, addr in getaddresses([value]) if "@" in addr)
    return found


def candidate_addresses(section: str, exclude: set[str]) -> list[str]:
    """Addresses named in the report text, in order, without the mail's own, aliases or senders."""
    seen: list[str] = []
    previous = ""
    for line in section.split("\n", MAX_LINES)[:MAX_LINES]:
        if "@" not in line:
            previous = line if line.strip() else previous
            continue
        line = LINK.sub(" ", line)
        skip = _not_a_recipient(line, previous)
        previous = line
        if skip:
            continue
        for match in ADDRESS.finditer(line):
            addr = match.group(1).strip(".").lower()
            if addr in exclude or addr in seen or _looks_like_message_id(line, match.start()):
                continue
            seen.append(addr)
        if len(seen) >= MAX_RECIPIENTS:
            break
    return [addr for addr in seen if not _role_only(addr, seen)]


def _not_a_recipient(line: str, previous: str) -> bool:
    """Lines that name a sender or an alias a recipient was expanded from."""
    if SENDER_LINE.match(line) or ALIAS_LINE.search(line):
        return True
    return bool(SENT_BY.search(previous[-60:])) and not re.search(r"[:;]\s*\S", line)


def _looks_like_message_id(line: str, start: int) -> bool:
    """Whether the address is in fact a Message-ID on a header line."""
    return bool(HEADER_LINE.match(line))


def _role_only(addr: str, seen: list[str]) -> bool:
    """A role mailbox (postmaster, abuse...) named beside real recipients is a contact hint."""
    return bool(ROLE_LOCAL.match(addr.partition("@")[0])) and len(seen) > 1


def windows(section: str, recipients: list[str]) -> dict[str, str]:
    """For each recipient, the lines that mention it and the lines that follow, up to the next recipient."""
    lines = section.split("\n", MAX_LINES)[:MAX_LINES]
    found: dict[str, list[str]] = {addr: [] for addr in recipients}
    owner: str | None = None
    taken = 0
    for line in lines:
        lowered = line.lower() if "@" in line else ""
        named = [addr for addr in recipients if addr in lowered] if lowered else []
        if named:
            owner, taken = (named[0] if len(named) == 1 else None), 0
            for addr in named:
                found[addr].append(line)
            continue
        if owner is not None and taken < MAX_WINDOW_LINES:
            found[owner].append(line)
            taken += 1
    return {addr: "\n".join(chunk).strip() for addr, chunk in found.items()}


def parse(
    text: str, view: HeaderView, original_senders: set[str], original_receivers: list[str]
) -> list[BounceRecipient]:
    """The failed recipients a plain-text bounce names, with the status recovered from its text."""
    section = report_section(text)
    recipients = find_recipients(section, view, original_senders, original_receivers)
    temporary = bool(TEMPORARY.search(view.get("subject"))) or _temporary_text(section)
    by_recipient = windows(section, recipients)
    return [_recipient(addr, by_recipient.get(addr, ""), section, temporary) for addr in recipients]


def find_recipients(
    section: str, view: HeaderView, original_senders: set[str], original_receivers: list[str]
) -> list[str]:
    """Who the report names as failed; else who the returned original was addressed to."""
    senders = own_addresses(view, SENDER_HEADERS)
    found = candidate_addresses(section, senders | own_addresses(view, RECEIVER_HEADERS) | original_senders)
    if found:
        return found
    failed = [a.lower() for _, a in getaddresses([view.get("x-failed-recipients")]) if "@" in a]
    if failed:
        return failed
    found = candidate_addresses(section, senders)  # someone who wrote to themselves
    return found or [a for a in original_receivers if a not in senders][:1]


def _temporary_text(section: str) -> bool:
    """Whether the report speaks of a delay rather than a final failure."""
    return bool(TEMPORARY.search(section[:3000])) and not re.search(
        r"permanent|fatal|given up|giving up|failed permanently", section[:5000], re.I
    )


def _recipient(addr: str, window: str, section: str, temporary: bool) -> BounceRecipient:
    """One failed recipient with its diagnostic and status."""
    diagnostic = _clean(window)
    source = (
        window
        if (codes.enhanced_codes(window) or codes.reply_code(window) or codes.reason_of(window))
        else section
    )
    status = codes.recover(source, temporary=temporary)
    action = "delayed" if status.startswith("4") else "failed"
    return BounceRecipient(
        email=addr,
        status=status,
        action=action,
        permanent=status.startswith("5"),
        diagnostic=diagnostic or _clean(section),
    )


def _clean(text: str) -> str:
    """A diagnostic on one line, bounded in length."""
    return re.sub(r"\s+", " ", text).strip()[:1000]
