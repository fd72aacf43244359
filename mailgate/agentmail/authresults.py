"""Authentication-Results (RFC 8601) of OUR receiving MTA: a DKIM, SPF or DMARC fail blocks relaying.

Which headers are trusted: only those whose authserv-id is one of ours (configured), and of those only
the topmost block. Reading from the top, Received headers of later hops are passed over until the
first Authentication-Results header; from there we take ours until a header that is not ours or a
Received header. Our MTA writes its results above the Received line of its own receipt, so anything
below that line (for instance a header claiming our authserv-id that the sender wrote to hide our
failing one) is ignored, as RFC 8601 section 5 asks.

What blocks: ``spf=fail``, ``dmarc=fail``, a ``dkim=fail`` unless a ``dkim=pass`` signature of the From
domain (header.d equal to it or a parent of it) stands beside it (a broken third-party signature does not
outweigh the author domain's good one), and a header of ours that cannot be read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import authres  # type: ignore[import-untyped]

HEADER = "authentication-results"
RECEIVED = "received"
BLOCKING_METHODS = ("spf", "dmarc")
_COMMENT = re.compile(r"\([^()]*\)")


@dataclass(frozen=True, slots=True)
class MethodResult:
    """One result of one method, with the DKIM signing domain (header.d) when there is one."""

    method: str
    result: str
    domain: str = ""


@dataclass(frozen=True, slots=True)
class AuthVerdict:
    """The results of our MTA that were read, and the reasons (if any) to refuse relaying."""

    results: tuple[str, ...] = ()
    failures: tuple[str, ...] = ()
    headers_trusted: int = 0

    @property
    def blocked(self) -> bool:
        """True if our MTA's results forbid relaying this mail."""
        return bool(self.failures)


def parse_authserv_ids(value: str) -> frozenset[str]:
    """The configured authserv-ids: a comma- or space-separated list, compared case-insensitively."""
    return frozenset(item.lower() for item in re.split(r"[\s,]+", value.strip()) if item)


def authserv_id_of(value: str) -> str:
    """The authserv-id of a header value (before the first ';', comments and version removed), lower-case."""
    head = _COMMENT.sub(" ", value.split(";", 1)[0]).split()
    return head[0].lower() if head else ""


def trusted_values(headers: Iterable[tuple[str, str]], authserv_ids: frozenset[str]) -> list[str]:
    """The topmost block of Authentication-Results values that carry one of our authserv-ids."""
    values: list[str] = []
    for name, value in headers:
        lowered = name.lower()
        if lowered == RECEIVED and values:
            break
        if lowered != HEADER:
            continue
        if authserv_id_of(value) not in authserv_ids:
            break
        values.append(value)
    return values


def _method_results(values: Sequence[str]) -> tuple[list[MethodResult], list[str]]:
    """The results of the values, and a failure for each value that cannot be parsed."""
    found: list[MethodResult] = []
    unreadable: list[str] = []
    for value in values:
        try:
            parsed = authres.AuthenticationResultsHeader.parse_value(" ".join(value.split()))
        except authres.AuthResError as exc:
            unreadable.append(f"unreadable Authentication-Results of our MTA: {exc}"[:200])
            continue
        for item in parsed.results:
            domain = str(getattr(item, "header_d", None) or "").lower()
            found.append(MethodResult(str(item.method).lower(), str(item.result).lower(), domain))
    return found, unreadable


def _aligned(domain: str, from_domain: str) -> bool:
    """True if a DKIM signing domain is the From domain or a parent of it (relaxed alignment)."""
    return bool(domain) and (from_domain == domain or from_domain.endswith("." + domain))


def check_authentication(
    headers: Iterable[tuple[str, str]], authserv_ids: frozenset[str], from_domain: str = ""
) -> AuthVerdict:
    """Our MTA's verdict on the mail; no configured authserv-id or no header of ours blocks nothing."""
    if not authserv_ids:
        return AuthVerdict()
    values = trusted_values(headers, authserv_ids)
    results, failures = _method_results(values)
    failures += [f"{r.method}=fail" for r in results if r.method in BLOCKING_METHODS and r.result == "fail"]
    dkim = [r for r in results if r.method == "dkim"]
    aligned_pass = any(r.result == "pass" and _aligned(r.domain, from_domain.lower()) for r in dkim)
    failures += [
        f"dkim=fail ({r.domain or 'no header.d'})" for r in dkim if r.result == "fail" and not aligned_pass
    ]
    summary = tuple(f"{r.method}={r.result}" + (f" ({r.domain})" if r.domain else "") for r in results)
    return AuthVerdict(summary, tuple(dict.fromkeys(failures)), len(values))
