"""Record the failed recipients of a bounce as undeliverable, so nothing auto-replies to them again."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from parsers.model import BounceReport
from schema.pipeline import UndeliverableAddress


def record_bounce(
    session: Session, bounce: BounceReport, ticket_id: int | None, inbound_id: int, now: datetime
) -> list[str]:
    """Upsert one mailgate_undeliverable row per failed recipient; returns the addresses recorded."""
    recorded = []
    for recipient in bounce.recipients:
        address = recipient.email.strip().lower().replace("\x00", "")[:320]
        if not address or recipient.action.lower() not in ("failed", ""):
            continue
        row = session.scalar(select(UndeliverableAddress).where(UndeliverableAddress.address == address))
        if row is None:
            row = UndeliverableAddress(address=address, bounce_count=0, first_seen=now)
            session.add(row)
        row.status, row.permanent = recipient.status[:20], int(recipient.permanent)
        diagnostic = recipient.diagnostic.replace("\x00", "\ufffd") or None
        row.diagnostic, row.ticket_id, row.inbound_id = diagnostic, ticket_id, inbound_id
        row.bounce_count, row.last_seen = (row.bounce_count or 0) + 1, now
        recorded.append(address)
    return recorded
