"""Turn a ParsedMessage into the plain MailFacts that routing rules look at."""

from __future__ import annotations

from collections.abc import Sequence

from parsers.model import ParsedMessage
from router import MailFacts

BODY_CHARS_FOR_RULES = 100_000


def mail_facts(
    parsed: ParsedMessage, envelope_to: Sequence[str], *, is_followup: bool, trusted: bool
) -> MailFacts:
    """The routing view of a mail: decoded headers, addresses, subject, body text, attachment names."""
    return MailFacts(
        headers=parsed.headers,
        from_email=parsed.from_.email if parsed.from_ else "",
        from_name=parsed.from_.name if parsed.from_ else "",
        to=[item.email for item in parsed.to],
        cc=[item.email for item in parsed.cc],
        envelope_to=list(envelope_to),
        subject=parsed.subject,
        body_text=parsed.body.text[:BODY_CHARS_FOR_RULES],
        attachment_names=[item.filename for item in parsed.attachments],
        kind=parsed.kind,
        is_followup=is_followup,
        trusted_source=trusted,
    )
