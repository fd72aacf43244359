"""Per-ticket tokens signed with the installation secret: reply addresses, Message-IDs, agent tokens.

Every token carries an HMAC-SHA256 signature truncated to 80 bits and written in
lower-case base32 (16 characters; base32 because mail systems may change the case
of a local part). Each kind of token signs with its own key derived from the
secret, so a signature of one kind is worthless for another. Parsing never
raises: anything forged, truncated, foreign or malformed gives ``None``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import date

from mailgate.errors import ConfigError, MailgateError

SIGNATURE_BYTES = 10
"""80 bits of HMAC-SHA256; 16 base32 characters."""

DEFAULT_AGENT_TOKEN_DAYS = 90
REPLY_TAG = "t"
AGENT_TAG = "a"
MESSAGE_ID_TAG = "mg"
_EPOCH = date(1970, 1, 1)
_ID = r"[1-9][0-9]{0,18}"
_SIG = r"[a-z2-7]{16}"
_REPLY_LOCAL = re.compile(
    rf"^(?P<base>.+?)(?P<sep>[+\-])t-(?P<ticket>{_ID})-(?P<sig>{_SIG})$", re.IGNORECASE | re.ASCII
)
_AGENT_TOKEN = re.compile(
    rf"^a-(?P<ticket>{_ID})-(?P<user>{_ID})-(?P<day>[0-9]{{1,6}})-(?P<sig>{_SIG})$", re.ASCII
)
_AGENT_LOCAL = re.compile(r"^(?P<base>.+?)(?P<sep>[+\-])(?P<token>a-[0-9a-z\-]+)$", re.IGNORECASE | re.ASCII)
_MESSAGE_ID = re.compile(
    rf"^<?mg\.(?P<ticket>{_ID})\.(?P<unique>[0-9a-z]{{1,40}})\.(?P<sig>{_SIG})@(?P<domain>[^<>@\s]+)>?$",
    re.IGNORECASE | re.ASCII,
)
_UNIQUE = re.compile(r"^[0-9a-z]{1,40}$", re.ASCII)


class TokenError(MailgateError):
    """A token cannot be issued from the given values."""


class MissingSecretError(ConfigError):
    """The installation secret (MAILGATE_SECRET_KEY) is empty, so no token can be signed or checked."""


@dataclass(frozen=True, slots=True)
class ReplyAddress:
    """A verified per-ticket reply address: the ticket and the system address it was issued for."""

    ticket_id: int
    system_address: str


@dataclass(frozen=True, slots=True)
class MessageIdToken:
    """A verified Message-ID of our own: the ticket, the article id or nonce, and the domain part."""

    ticket_id: int
    unique: str
    domain: str


@dataclass(frozen=True, slots=True)
class AgentToken:
    """A verified agent reply token: which agent may answer which ticket, and when it was issued."""

    ticket_id: int
    user_id: int
    issued: date


def _key(secret: str | bytes, purpose: str) -> bytes:
    """The signing key for one kind of token, derived from the installation secret."""
    raw = secret.encode("utf-8") if isinstance(secret, str) else secret
    if not raw:
        raise MissingSecretError("the installation secret is empty; set MAILGATE_SECRET_KEY")
    return hmac.new(raw, f"mailgate/token/v1/{purpose}".encode(), hashlib.sha256).digest()


def _sign(secret: str | bytes, purpose: str, *fields: str) -> str:
    """Truncated base32 HMAC-SHA256 over the fields, joined by a separator no field contains."""
    mac = hmac.new(_key(secret, purpose), "\x1f".join(fields).encode("utf-8"), hashlib.sha256)
    return base64.b32encode(mac.digest()[:SIGNATURE_BYTES]).decode("ascii").lower()


def _signature_ok(secret: str | bytes, purpose: str, given: str, *fields: str) -> bool:
    """Constant-time comparison of a given signature with the expected one."""
    expected = _sign(secret, purpose, *fields).encode("ascii")
    return hmac.compare_digest(expected, given.lower().encode("utf-8"))


def _split_address(address: str) -> tuple[str, str] | None:
    """``(local, domain)`` of a bare address, or None if it is not one."""
    local, at, domain = address.strip().strip("<>").rpartition("@")
    if not at or not local or not domain or any(c.isspace() for c in address.strip()):
        return None
    return local, domain


def require_secret(secret: str | bytes) -> None:
    """Raise MissingSecretError unless the secret is non-empty."""
    _key(secret, "check")


def issue_reply_address(
    secret: str | bytes, system_address: str, ticket_id: int, separator: str = "+"
) -> str:
    """``support+t-<ticket_id>-<sig>@example.com`` for a system address and a ticket."""
    parts = _split_address(system_address)
    if parts is None or ticket_id < 1 or separator not in "+-" or len(separator) != 1:
        raise TokenError(f"cannot build a reply address from {system_address!r}, {ticket_id!r}")
    base = f"{parts[0]}@{parts[1]}".lower()
    sig = _sign(secret, "reply", base, str(ticket_id), separator)
    return f"{parts[0]}{separator}{REPLY_TAG}-{ticket_id}-{sig}@{parts[1]}"


def parse_reply_address(secret: str | bytes, address: str) -> ReplyAddress | None:
    """The ticket of a reply address we issued, or None for any other, forged or malformed address."""
    parts = _split_address(address)
    match = _REPLY_LOCAL.match(parts[0]) if parts else None
    if parts is None or match is None:
        return None
    base = f"{match['base']}@{parts[1]}".lower()
    if not _signature_ok(secret, "reply", match["sig"], base, match["ticket"], match["sep"]):
        return None
    return ReplyAddress(ticket_id=int(match["ticket"]), system_address=base)


def issue_message_id(secret: str | bytes, fqdn: str, ticket_id: int, unique: str | None = None) -> str:
    """``<mg.<ticket_id>.<unique>.<sig>@fqdn>``; ``unique`` is the article id or a random nonce."""
    nonce = (unique if unique is not None else secrets.token_hex(8)).lower()
    if ticket_id < 1 or not _UNIQUE.match(nonce) or not fqdn or any(c in fqdn for c in "<>@ "):
        raise TokenError(f"cannot build a Message-ID from {fqdn!r}, {ticket_id!r}, {unique!r}")
    sig = _sign(secret, "message-id", str(ticket_id), nonce)
    return f"<{MESSAGE_ID_TAG}.{ticket_id}.{nonce}.{sig}@{fqdn}>"


def parse_message_id(secret: str | bytes, message_id: str) -> MessageIdToken | None:
    """The ticket of a Message-ID we issued (with or without angle brackets), or None."""
    match = _MESSAGE_ID.match(message_id.strip())
    if match is None:
        return None
    unique = match["unique"].lower()
    if not _signature_ok(secret, "message-id", match["sig"], match["ticket"], unique):
        return None
    return MessageIdToken(ticket_id=int(match["ticket"]), unique=unique, domain=match["domain"].lower())


def issue_agent_token(secret: str | bytes, ticket_id: int, user_id: int, issued: date) -> str:
    """``a-<ticket_id>-<user_id>-<day>-<sig>``: lets agent ``user_id`` answer ticket ``ticket_id`` by mail."""
    if ticket_id < 1 or user_id < 1:
        raise TokenError(f"cannot build an agent token for ticket {ticket_id!r}, user {user_id!r}")
    day = str((issued - _EPOCH).days)
    sig = _sign(secret, "agent", str(ticket_id), str(user_id), day)
    return f"{AGENT_TAG}-{ticket_id}-{user_id}-{day}-{sig}"


def parse_agent_token(
    secret: str | bytes, token: str, *, today: date, max_age_days: int = DEFAULT_AGENT_TOKEN_DAYS
) -> AgentToken | None:
    """The ticket and agent of a token we issued, or None if forged, malformed, from the future or too old."""
    match = _AGENT_TOKEN.match(token.strip().lower()) if token.isascii() else None
    if match is None:
        return None
    if not _signature_ok(secret, "agent", match["sig"], match["ticket"], match["user"], match["day"]):
        return None
    issued = date.fromordinal(_EPOCH.toordinal() + int(match["day"]))
    if not 0 <= (today - issued).days <= max_age_days:
        return None
    return AgentToken(ticket_id=int(match["ticket"]), user_id=int(match["user"]), issued=issued)


def issue_agent_reply_address(
    secret: str | bytes, system_address: str, ticket_id: int, user_id: int, issued: date
) -> str:
    """``support+a-<ticket>-<user>-<day>-<sig>@example.com``: the Reply-To of an agent notification."""
    parts = _split_address(system_address)
    if parts is None:
        raise TokenError(f"not an address: {system_address!r}")
    return f"{parts[0]}+{issue_agent_token(secret, ticket_id, user_id, issued)}@{parts[1]}"


def parse_agent_reply_address(
    secret: str | bytes, address: str, *, today: date, max_age_days: int = DEFAULT_AGENT_TOKEN_DAYS
) -> AgentToken | None:
    """The agent token inside an agent reply address, or None."""
    parts = _split_address(address)
    match = _AGENT_LOCAL.match(parts[0]) if parts else None
    if match is None:
        return None
    return parse_agent_token(secret, match["token"], today=today, max_age_days=max_age_days)
