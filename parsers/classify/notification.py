"""Delivery events sent as JSON by sending services (Amazon SES through SNS and alike)."""

from __future__ import annotations

import json
from typing import Any

from parsers.classify import status as codes
from parsers.model import BounceRecipient, BounceReport, Kind

MAX_JSON = 500_000


def read(text: str) -> tuple[Kind, BounceReport | None] | None:
    """The kind and report of a JSON delivery event, or None when the text is not one."""
    event = _event(text)
    if event is None:
        return None
    kind_name = str(event.get("notificationType") or event.get("eventType") or "").lower()
    message_id = _message_id(event)
    if kind_name == "complaint":
        return "complaint", None
    if kind_name == "delivery":
        return "delivery-report", None
    if kind_name != "bounce" or not isinstance(event.get("bounce"), dict):
        return None
    recipients = [
        _recipient(item) for item in event["bounce"].get("bouncedRecipients") or [] if isinstance(item, dict)
    ]
    return "bounce", BounceReport(
        recipients=[r for r in recipients if r.email], original_message_id=message_id
    )


def _message_id(event: dict[str, Any]) -> str | None:
    """The Message-ID of the mail the event is about."""
    mail = event.get("mail")
    if not isinstance(mail, dict):
        return None
    common = mail.get("commonHeaders")
    found = common.get("messageId") if isinstance(common, dict) else None
    return str(found or mail.get("messageId") or "").strip().strip("<>") or None


def _event(text: str) -> dict[str, Any] | None:
    """The JSON object inside the text, when the whole text is one."""
    body = text.strip()
    if not body.startswith("{") or len(body) > MAX_JSON:
        return None
    try:
        data = json.loads(body[: body.rfind("}") + 1], strict=False)
    except ValueError:
        return None
    if isinstance(data, dict) and isinstance(data.get("Message"), str):  # an SNS envelope
        return _event(data["Message"])
    return data if isinstance(data, dict) and isinstance(data.get("mail"), dict) else None


def _recipient(item: dict[str, Any]) -> BounceRecipient:
    """One bounced recipient of a JSON event."""
    diagnostic = str(item.get("diagnosticCode") or "")
    status = str(item.get("status") or "") or codes.recover(diagnostic)
    if not codes.ENHANCED.fullmatch(status):
        status = codes.recover(diagnostic + " " + status)
    action = str(item.get("action") or "failed")
    return BounceRecipient(
        email=str(item.get("emailAddress") or "").lower(),
        status=status,
        action=action,
        permanent=status.startswith("5"),
        diagnostic=diagnostic,
    )
