"""A ParsedMessage in the JSON form of the parse contract (../shared/corpus/CONTRACT.md)."""

from __future__ import annotations

from typing import Any

from parsers.model import Address, Attachment, BounceReport, ParsedMessage


def _address(address: Address) -> dict[str, str]:
    """One address as {email, name}."""
    return {"email": address.email, "name": address.name}


def _attachment(attachment: Attachment) -> dict[str, Any]:
    """One attachment's metadata (not its bytes)."""
    return {
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "sha256": attachment.sha256,
        "content_id": attachment.content_id,
        "inline": attachment.inline,
    }


def _bounce(report: BounceReport | None) -> dict[str, Any] | None:
    """The bounce report, or None."""
    if report is None:
        return None
    recipients = [
        {
            "email": r.email,
            "status": r.status,
            "action": r.action,
            "permanent": r.permanent,
            "diagnostic": r.diagnostic,
        }
        for r in report.recipients
    ]
    return {"recipients": recipients, "original_message_id": report.original_message_id}


def to_contract(msg: ParsedMessage, path: str) -> dict[str, Any]:
    """The contract's JSON object for one parsed mail (plus reply_text)."""
    return {
        "path": path,
        "ok": True,
        "error": None,
        "message_id": msg.message_id,
        "in_reply_to": msg.in_reply_to,
        "references": msg.references,
        "date": msg.date.isoformat() if msg.date else None,
        "from": _address(msg.from_) if msg.from_ else None,
        "reply_to": [_address(a) for a in msg.reply_to],
        "to": [_address(a) for a in msg.to],
        "cc": [_address(a) for a in msg.cc],
        "subject": msg.subject,
        "body": {"text": msg.body.text, "html": msg.body.html},
        "reply_text": msg.reply_text,
        "attachments": [_attachment(a) for a in msg.attachments],
        "kind": msg.kind,
        "bounce": _bounce(msg.bounce) if msg.kind == "bounce" or msg.bounce else None,
        "defects": msg.defects,
    }


def failure(path: str, error: str) -> dict[str, Any]:
    """The contract's object for a file that could not be read at all."""
    return {"path": path, "ok": False, "error": error}
