"""Helpers for pipeline tests: a gateway that accepts and processes mail, and a mail builder."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from mailgate.pipeline.process import InboundProcessor, Processed
from mailgate.services import Services
from schema import InboundSource


@dataclass
class Gateway:
    services: Services
    processor: InboundProcessor
    sent: list[str] = field(default_factory=list)

    def deliver(self, raw: bytes, recipients: tuple[str, ...] = ("support@example.org",)) -> Processed:
        accepted = self.services.intake.accept(raw, InboundSource.SMTP, "sender@example.net", recipients)
        return self.processor.process(accepted.spool_id)

    def session(self) -> Session:
        return self.services.sessions()


def new_id() -> str:
    return f"{uuid.uuid4().hex}@customer.example"


def mail(
    subject: str = "Printer broken",
    body: str = "It does not print.",
    *,
    sender: str = "Jane Doe <jane@customer.example>",
    to: str = "support@example.org",
    message_id: str | None = None,
    in_reply_to: str | None = None,
    extra: str = "",
) -> bytes:
    headers = [
        f"From: {sender}",
        f"To: {to}",
        f"Subject: {subject}",
        f"Message-ID: <{message_id or new_id()}>",
        "Date: Wed, 25 Nov 2026 10:00:00 +0000",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
    ]
    if in_reply_to:
        headers += [f"In-Reply-To: <{in_reply_to}>", f"References: <{in_reply_to}>"]
    if extra:
        headers.append(extra.strip())
    return ("\r\n".join(headers) + "\r\n\r\n" + body + "\r\n").encode()
