"""Address headers to Address values: stdlib first, flanker when that fails, then a tolerant scan."""

from __future__ import annotations

import re
from email.utils import getaddresses

from parsers.headers import decode_words, unfold
from parsers.model import Address

MAX_ADDRESSES = 1000
_VALID = re.compile(r"^[^\s@<>()\[\],;:\"]+(?:@[^\s@<>()\[\],;:\"]+)?$")
_LOOSE = re.compile(r"[^\s<>()\[\],;:\"'@]+@[^\s<>()\[\],;:\"'@]+")
_BRACKETED = re.compile(r"^([^<>]*)<([^<>]*)>")
_SPLIT = re.compile(r"(?<=>)\s*[,;]|[,;](?=[^\"]*(?:\"[^\"]*\"[^\"]*)*$)")
MAX_CHUNK = 1000
_QUOTED_PAIR = re.compile(r"\\(.)")


def _clean_name(name: str, defects: list[str]) -> str:
    """A display name decoded, unquoted and trimmed."""
    name = _QUOTED_PAIR.sub(r"\1", decode_words(name.strip(), defects)).replace('"', "").strip()
    if len(name) >= 2 and name[0] == name[-1] == "'":
        name = name[1:-1].strip()
    return name


def _clean_email(email: str) -> str:
    """A bare address without the quotes, brackets or mailto: some clients put around it."""
    email = email.strip().strip("\"'<> ")
    return email[7:] if email.lower().startswith("mailto:") else email


def _stdlib(value: str) -> list[tuple[str, str]] | None:
    """Pairs from email.utils, or None when they do not account for every '@' in the header."""
    pairs = [(n, a) for n, a in getaddresses([value]) if a or n]
    if any(not _VALID.match(a) for _, a in pairs if a):
        return None
    if sum(n.count("@") + a.count("@") for n, a in pairs) != value.count("@"):
        return None
    if len({a.lower() for _, a in pairs}) < len(pairs):  # "a@b <a@b>" read as two mailboxes
        return None
    return [(n, a) for n, a in pairs if a]


def _flanker(value: str) -> list[tuple[str, str]] | None:
    """Pairs from flanker's RFC 5322 parser (slower; handles what stdlib mangles), or None."""
    from flanker.addresslib import address

    try:
        parsed = address.parse_list(value, strict=False)
    except Exception:  # flanker raises assorted errors on hostile input
        return None
    pairs = [(str(a.display_name or ""), str(a.address)) for a in parsed]
    if not pairs or sum(a.count("@") for _, a in pairs) < value.count("@") - sum(
        n.count("@") for n, _ in pairs
    ):
        return None
    return pairs


def _scan(value: str) -> list[tuple[str, str]]:
    """Last resort: <bracketed> addresses (even with spaces), else anything that looks like one."""
    pairs: list[tuple[str, str]] = []
    for chunk in _SPLIT.split(value):
        chunk = chunk[:MAX_CHUNK]
        if "@" not in chunk:
            continue
        bracketed = _BRACKETED.search(chunk)
        if bracketed and "@" in bracketed.group(2):
            pairs.append((bracketed.group(1).strip(), " ".join(bracketed.group(2).split())))
            continue
        for match in _LOOSE.finditer(chunk):
            before = chunk[: match.start()]
            if pairs and before.strip() == "<":  # "a@b <a@b>": the first one was the display name
                pairs[-1] = (pairs[-1][1], match.group())
            else:
                name = before.replace("<", " ").strip()
                pairs.append((name.rsplit(":", 1)[-1].strip() if '"' not in name else name, match.group()))
    return pairs


def parse_addresses(value: str | None, defects: list[str], header: str = "address") -> list[Address]:
    """Every mailbox in an address header (groups flattened), display names decoded."""
    if not value:
        return []
    value = unfold(value)
    pairs = _stdlib(value)
    if pairs is None:
        pairs = _flanker(value)
        if pairs is None:
            pairs = _scan(value)
            read = "malformed address list read leniently" if pairs else "no address could be read"
            defects.append(f"{header}: {read}")
    result = []
    for name, email in pairs[:MAX_ADDRESSES]:
        email = _clean_email(email)
        if email:
            result.append(Address(email=email, name=_clean_name(name, defects)))
    return result
