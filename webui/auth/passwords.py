"""Password checks against users.pw: argon2 (what mailgate writes) and Znuny's sha2/sha512 hex hashes."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

ARGON2_PREFIX = "$argon2"
# a hash of a password nobody has: verifying against it makes an unknown login cost as much as a known one
_DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$SvzpQQHdD3dEktKzglcIaA$HEogYN7CA06t/UO91pDsz8jLBv6gaU/+bVFpnghha4A"
)


@dataclass(frozen=True, slots=True)
class PasswordCheck:
    """Outcome of a password check: whether it matched, and the argon2 hash to store instead (rehash)."""

    ok: bool
    new_hash: str | None = None


def check_password(stored: str | None, password: str, hasher: PasswordHasher | None = None) -> PasswordCheck:
    """Check `password` against a users.pw value; unknown formats (crypt, bcrypt, empty) never match."""
    hasher = hasher or PasswordHasher()
    if not stored or not password:
        _burn(hasher, password)
        return PasswordCheck(False)
    if stored.startswith(ARGON2_PREFIX):
        try:
            hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return PasswordCheck(False)
        return PasswordCheck(True, hasher.hash(password) if hasher.check_needs_rehash(stored) else None)
    return PasswordCheck(_znuny_sha(stored, password))


def _znuny_sha(stored: str, password: str) -> bool:
    """Znuny's CryptType sha2 (sha256 hex) and sha512 (hex); kept as they are, so Znuny still accepts them."""
    algorithm = {64: "sha256", 128: "sha512"}.get(len(stored))
    if algorithm is None:
        return False
    digest = hashlib.new(algorithm, password.encode("utf-8")).hexdigest()
    return hmac.compare_digest(digest, stored.lower())


def _burn(hasher: PasswordHasher, password: str) -> None:
    with contextlib.suppress(VerificationError, InvalidHashError):
        hasher.verify(_DUMMY_HASH, password or "-")


def burn_time(password: str, hasher: PasswordHasher | None = None) -> None:
    """Spend the time of one argon2 verification (for logins that do not exist)."""
    _burn(hasher or PasswordHasher(), password)
