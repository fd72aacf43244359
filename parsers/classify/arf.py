"""Abuse and feedback reports: RFC 5965 ARF and the common vendor variants."""

from __future__ import annotations

from email.message import Message

from parsers.classify.headers import HeaderView
from parsers.classify.parts import ReportParts

FEEDBACK_TYPES = frozenset({"message/feedback-report"})
# Microsoft's junk mail reporting program returns the reported mail with this header
VENDOR_ORIGINAL_FLAGS = ("x-hmxmroriginalrecipient",)


def is_complaint(message: Message, view: HeaderView, parts: ReportParts) -> bool:
    """Whether the mail is a feedback report about mail we sent."""
    if message.get_content_type() == "multipart/report":
        report_type = str(message.get_param("report-type") or "").lower()
        if report_type == "feedback-report":
            return True
    if any(ctype in FEEDBACK_TYPES for ctype in parts.content_types):
        return True
    if view.get("x-apple-unsubscribe").lower() == "true":
        return True
    return any(original.get(flag) for original in parts.originals for flag in VENDOR_ORIGINAL_FLAGS)
