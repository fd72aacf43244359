"""SMTP to MAILGATE_OUTBOUND_SMTP with each outcome classified: sent, temporary or permanent failure."""

from __future__ import annotations

import logging
import smtplib
import threading
from dataclasses import dataclass
from enum import StrEnum

from mailgate.errors import ConfigError

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 30.0


class Outcome(StrEnum):
    """How a send ended."""

    SENT = "sent"  # accepted for at least one recipient
    TEMPORARY = "temporary"  # 4xx, connection refused, timeout: try again later
    PERMANENT = "permanent"  # 5xx for the message or for every recipient


@dataclass(frozen=True, slots=True)
class SendResult:
    """The outcome of one send, with the SMTP code and text that decided it (0: no SMTP answer)."""

    outcome: Outcome
    code: int
    message: str
    refused: dict[str, tuple[int, str]]  # recipients refused while others were accepted

    @property
    def sent(self) -> bool:
        """Whether the server took the mail."""
        return self.outcome is Outcome.SENT


def parse_hostport(value: str) -> tuple[str, int]:
    """``host:port`` (``[v6]:port``) of MAILGATE_OUTBOUND_SMTP; port 25 when absent."""
    text = value.strip()
    if not text:
        raise ConfigError("MAILGATE_OUTBOUND_SMTP is empty")
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest.lstrip(":") or "25"
    else:
        host, _, port = text.rpartition(":") if ":" in text else (text, "", "25")
    if not host or not port.isdigit():
        raise ConfigError(f"MAILGATE_OUTBOUND_SMTP must be host:port, got {value!r}")
    return host, int(port)


def _decode(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _by_code(code: int, text: str, refused: dict[str, tuple[int, str]] | None = None) -> SendResult:
    outcome = Outcome.PERMANENT if 500 <= code < 600 else Outcome.TEMPORARY
    return SendResult(outcome, code, text, refused or {})


class SmtpTransport:
    """Sends raw mails to one SMTP server, keeping one open connection per thread between sends."""

    def __init__(
        self, hostport: str, timeout: float = DEFAULT_TIMEOUT, local_hostname: str | None = None
    ) -> None:
        """A transport for ``host:port`` (not connected until the first send)."""
        self.host, self.port = parse_hostport(hostport)
        self.timeout = timeout
        self.local_hostname = local_hostname
        self._local = threading.local()

    def send(self, envelope_from: str, recipients: list[str], raw: bytes) -> SendResult:
        """Send the raw bytes; a dropped pooled connection is retried once on a fresh one."""
        if not recipients:
            return SendResult(Outcome.PERMANENT, 0, "no recipients", {})
        reused = getattr(self._local, "client", None) is not None
        result = self._send_once(envelope_from, recipients, raw)
        if reused and result.outcome is Outcome.TEMPORARY and result.code == 0:
            result = self._send_once(envelope_from, recipients, raw)  # the kept connection had gone stale
        return result

    def _send_once(self, envelope_from: str, recipients: list[str], raw: bytes) -> SendResult:
        try:
            client = self._client()
            refused = client.sendmail(envelope_from, recipients, raw)
        except smtplib.SMTPRecipientsRefused as exc:  # smtplib sent RSET already: the connection stays
            self._drop_if_closed()
            refusals = {rcpt: (code, _decode(text)) for rcpt, (code, text) in exc.recipients.items()}
            worst = min(code for code, _ in refusals.values()) if refusals else 550
            return _by_code(worst, "; ".join(f"{r}: {c} {t}" for r, (c, t) in refusals.items()), refusals)
        except (smtplib.SMTPResponseException, smtplib.SMTPSenderRefused) as exc:
            self._drop_if_closed()  # smtplib sent RSET (or closed on 421): keep a connection still open
            return _by_code(exc.smtp_code, _decode(exc.smtp_error))
        except (OSError, smtplib.SMTPException) as exc:  # refused, timeout, reset, server disconnected
            self._close()
            return SendResult(Outcome.TEMPORARY, 0, f"{type(exc).__name__}: {exc}", {})
        partial = {rcpt: (code, _decode(text)) for rcpt, (code, text) in refused.items()}
        return SendResult(Outcome.SENT, 250, "accepted", partial)

    def _client(self) -> smtplib.SMTP:
        client: smtplib.SMTP | None = getattr(self._local, "client", None)
        if client is None:
            client = smtplib.SMTP(self.host, self.port, self.local_hostname, timeout=self.timeout)
            client.ehlo_or_helo_if_needed()
            self._local.client = client
        return client

    def _drop_if_closed(self) -> None:
        client: smtplib.SMTP | None = getattr(self._local, "client", None)
        if client is not None and client.sock is None:  # smtplib closed it (421, or RSET found it gone)
            self._local.client = None

    def _close(self) -> None:
        client: smtplib.SMTP | None = getattr(self._local, "client", None)
        self._local.client = None
        if client is not None:
            try:
                client.quit()
            except (TimeoutError, OSError, smtplib.SMTPException):
                client.close()

    def close(self) -> None:
        """Close this thread's connection (other threads' connections close when their threads end)."""
        self._close()
