"""Write outbox rows in the caller's transaction and hand their ids to a dispatcher once it commits."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, event, insert, select
from sqlalchemy.orm import Session, sessionmaker

from schema.outbox import OutboxMail, OutboxState

log = logging.getLogger(__name__)

_PENDING_KEY = "mailgate_outbox_ids"
_EXISTS = select(OutboxMail.id).where(OutboxMail.dedupe_key == bindparam("dedupe_key"))
_INSERT = insert(OutboxMail).returning(OutboxMail.id)


@dataclass(frozen=True, slots=True)
class OutboundRequest:
    """One outbound mail to write: what it is, to whom, about which ticket, and its once-only key."""

    kind: str
    dedupe_key: str
    recipients: list[str]
    ticket_id: int | None = None
    article_id: int | None = None
    user_id: int | None = None
    auto_response_id: int | None = None
    params: dict[str, Any] = field(default_factory=dict)


def enqueue_outbound(session: Session, request: OutboundRequest, now: datetime) -> int | None:
    """Write the outbox row in the session's transaction; None if its dedupe_key was already written.

    The id is sent to the dispatcher installed with `dispatch_after_commit` when the transaction
    commits; if that send is lost, the sweeper finds the pending row.
    """
    if not request.recipients:
        raise ValueError("an outbound mail needs at least one recipient")
    connection = session.connection()  # Core statements built once: an event may write several rows per mail
    exists = connection.execute(_EXISTS, {"dedupe_key": request.dedupe_key}).scalar()
    if exists is not None:
        return None
    values = {
        "kind": request.kind,
        "dedupe_key": request.dedupe_key,
        "recipient_key": request.recipients[0].strip().lower()[:250],
        "recipients": json.dumps(request.recipients),
        "ticket_id": request.ticket_id,
        "article_id": request.article_id,
        "user_id": request.user_id,
        "auto_response_id": request.auto_response_id,
        "params": json.dumps(request.params, default=str),
        "state": OutboxState.PENDING.value,
        "attempts": 0,
        "create_time": now,
        "changed_at": now,
    }
    outbox_id = connection.execute(_INSERT, values).scalar_one()
    session.info.setdefault(_PENDING_KEY, []).append(outbox_id)
    return outbox_id


def dispatch_after_commit(sessions: sessionmaker[Session], send: Callable[[int], None]) -> Callable[[], None]:
    """Send each outbox id a session of `sessions` wrote to `send` after its commit; returns the undo."""

    def after_commit(session: Session) -> None:
        for outbox_id in session.info.pop(_PENDING_KEY, []):
            try:
                send(outbox_id)
            except Exception:  # the row is committed (or its savepoint undone); the sweeper has it
                log.exception("outbox %s: could not queue it for sending", outbox_id)

    def after_rollback(session: Session) -> None:
        session.info.pop(_PENDING_KEY, None)

    event.listen(sessions, "after_commit", after_commit)
    event.listen(sessions, "after_rollback", after_rollback)

    def undo() -> None:
        event.remove(sessions, "after_commit", after_commit)
        event.remove(sessions, "after_rollback", after_rollback)

    return undo
