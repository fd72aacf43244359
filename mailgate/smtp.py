"""The SMTP and LMTP listener: a mail is answered 250 only after its spool row is committed."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Executor
from functools import partial
from typing import Any

from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session

from mailgate.errors import StorageUnavailableError
from mailgate.intake import Intake
from mailgate.listen import parse_listen
from schema.spool import InboundSource

log = logging.getLogger(__name__)

TEMPFAIL_REPLY = "451 4.3.0 Mail not stored, please try again later"


class SpoolHandler:
    """aiosmtpd handler that hands each mail to the intake off the event loop."""

    def __init__(self, intake: Intake, executor: Executor, source: InboundSource) -> None:
        self._intake = intake
        self._executor = executor
        self._source = source

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        """Store the mail; 250 once committed, 451 when the database could not take it."""
        raw = envelope.original_content or b""
        accept = partial(self._intake.accept, raw, self._source, envelope.mail_from, tuple(envelope.rcpt_tos))
        try:
            accepted = await asyncio.get_running_loop().run_in_executor(self._executor, accept)
        except StorageUnavailableError as exc:
            log.warning("answering 451 to %s: %s", session.peer, exc)
            return self._per_recipient(envelope, TEMPFAIL_REPLY)
        return self._per_recipient(envelope, f"250 2.0.0 Ok: queued as {accepted.spool_id}")

    def _per_recipient(self, envelope: Envelope, reply: str) -> str:
        """LMTP answers once per recipient; SMTP once per mail."""
        if self._source is InboundSource.LMTP:
            return "\r\n".join([reply] * max(1, len(envelope.rcpt_tos)))
        return reply


async def start_listener(
    intake: Intake, executor: Executor, listen: str, *, lmtp: bool, max_size: int, hostname: str
) -> asyncio.Server:
    """Start an SMTP (or LMTP) server on HOST:PORT and return it."""
    host, port = parse_listen(listen)
    source = InboundSource.LMTP if lmtp else InboundSource.SMTP
    handler = SpoolHandler(intake, executor, source)
    protocol: type[SMTP] = LMTP if lmtp else SMTP
    options: dict[str, Any] = {"data_size_limit": max_size, "hostname": hostname, "timeout": 300}
    server = await asyncio.get_running_loop().create_server(
        lambda: protocol(handler, **options), host=host, port=port
    )
    log.info("%s listening on %s:%s", "LMTP" if lmtp else "SMTP", host, port)
    return server
