"""The SMTP and LMTP listener: a mail is answered 250 only after its spool row is committed."""

from __future__ import annotations

import asyncio
import logging
import ssl
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy.exc import SQLAlchemyError

from mailgate.errors import ConfigError, StorageUnavailableError
from mailgate.intake import Intake
from mailgate.listen import parse_listen
from mailgate.recipients import RecipientPolicy
from mailgate.settings import Settings
from schema.spool import InboundSource

log = logging.getLogger(__name__)

TEMPFAIL_REPLY = "451 4.3.0 Mail not stored, please try again later"
RCPT_TEMPFAIL_REPLY = "451 4.3.0 Recipient cannot be checked now, please try again later"
TOO_MANY_RECIPIENTS_REPLY = "452 4.5.3 Too many recipients"


@dataclass(frozen=True, slots=True)
class ListenerConfig:
    """How one listener behaves: protocol, limits, TLS and which recipients it takes."""

    lmtp: bool = False
    max_size: int = 50 * 1024 * 1024
    hostname: str = "mailgate.localhost"
    max_recipients: int = 100
    timeout: int = 300
    tls_context: ssl.SSLContext | None = None
    recipients: RecipientPolicy | None = None

    @classmethod
    def from_settings(
        cls, settings: Settings, *, lmtp: bool, recipients: RecipientPolicy | None
    ) -> ListenerConfig:
        """The listener configuration the settings describe."""
        return cls(
            lmtp=lmtp,
            max_size=settings.max_message_size,
            hostname=settings.fqdn,
            max_recipients=settings.smtp_max_recipients,
            timeout=settings.smtp_timeout,
            tls_context=tls_context(settings),
            recipients=recipients,
        )


def tls_context(settings: Settings) -> ssl.SSLContext | None:
    """A server TLS context for STARTTLS when a certificate is configured, else None."""
    if not settings.smtp_tls_cert:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(settings.smtp_tls_cert, settings.smtp_tls_key or None)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"cannot load the SMTP TLS certificate {settings.smtp_tls_cert}: {exc}") from exc
    return context


class SpoolHandler:
    """aiosmtpd handler: checks recipients and hands each mail to the intake, off the event loop."""

    def __init__(self, intake: Intake, executor: Executor, config: ListenerConfig) -> None:
        self._intake = intake
        self._executor = executor
        self._config = config
        self._source = InboundSource.LMTP if config.lmtp else InboundSource.SMTP

    async def handle_RCPT(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        """Accept our own addresses only (550 5.1.1 otherwise) and at most max_recipients of them."""
        if len(envelope.rcpt_tos) >= self._config.max_recipients:
            return TOO_MANY_RECIPIENTS_REPLY
        policy = self._config.recipients
        if policy is not None:
            verdict = policy.check_cached(address)  # the usual case: no database read, no thread
            if verdict is None:
                try:
                    verdict = await asyncio.get_running_loop().run_in_executor(
                        self._executor, policy.check, address
                    )
                except SQLAlchemyError as exc:
                    log.warning("recipient check failed for %s: %s", address, exc)
                    return RCPT_TEMPFAIL_REPLY
            if not verdict.accepted:
                return f"550 5.1.1 <{address}>: Recipient address rejected: {verdict.reason}"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        """Store the mail; 250 once committed, 451 when the database could not take it.

        The mail goes to the intake's group-commit writer: the mails of all sessions waiting at this
        moment share one transaction and one COMMIT, and each session hears only after that COMMIT.
        """
        raw = envelope.original_content or b""
        stored = self._intake.submit(raw, self._source, envelope.mail_from, tuple(envelope.rcpt_tos))
        try:
            accepted = await asyncio.wrap_future(stored)
        except StorageUnavailableError as exc:
            log.warning("answering 451 to %s: %s", session.peer, exc)
            return self._per_recipient(envelope, TEMPFAIL_REPLY)
        except Exception:  # a bug must not become aiosmtpd's 500, which makes the sender bounce the mail
            log.exception("answering 451 to %s: the mail could not be stored", session.peer)
            return self._per_recipient(envelope, TEMPFAIL_REPLY)
        return self._per_recipient(envelope, f"250 2.0.0 Ok: queued as {accepted.spool_id}")

    def _per_recipient(self, envelope: Envelope, reply: str) -> str:
        """LMTP answers once per recipient; SMTP once per mail."""
        if self._config.lmtp:
            return "\r\n".join([reply] * max(1, len(envelope.rcpt_tos)))
        return reply


async def start_listener(
    intake: Intake, executor: Executor, listen: str, config: ListenerConfig
) -> asyncio.Server:
    """Start an SMTP (or LMTP) server on HOST:PORT and return it."""
    host, port = parse_listen(listen)
    handler = SpoolHandler(intake, executor, config)
    protocol: type[SMTP] = LMTP if config.lmtp else SMTP
    options: dict[str, Any] = {
        "data_size_limit": config.max_size,
        "hostname": config.hostname,
        "timeout": config.timeout,
        "tls_context": config.tls_context,
    }
    server = await asyncio.get_running_loop().create_server(
        lambda: protocol(handler, **options), host=host, port=port
    )
    log.info("%s listening on %s:%s", "LMTP" if config.lmtp else "SMTP", host, port)
    return server
