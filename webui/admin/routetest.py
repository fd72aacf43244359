"""Admin: the routing test pane — what `mailgate route --explain` says about a pasted or uploaded mail.

The plan is computed exactly as the command does (InboundProcessor.explain in a session that is
rolled back, format_plan for the text); nothing is written.
"""

from __future__ import annotations

from flask import current_app, render_template, request

from mailgate.pipeline.explain import format_plan
from mailgate.services import build_processor
from parsers import parse
from webui.access import admin_required
from webui.admin import bp
from webui.db import db


def explain_mail(raw: bytes, recipients: list[str], trusted: bool) -> str:
    """The explanation text of route --explain for these bytes; the request's session is rolled back."""
    services = current_app.extensions["mailgate"].services
    processor = build_processor(services, read_only=True)
    session = db()
    try:
        plan = processor.explain(session, raw, recipients, trusted)
    finally:
        session.rollback()
    return format_plan(parse(raw), plan)


def _posted_mail() -> bytes:
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        return upload.read()
    return request.form.get("raw", "").encode("utf-8")


@bp.route("/rules/test", methods=["GET", "POST"])
@admin_required
def rules_test() -> str | tuple[str, int]:
    """Paste or upload a mail and see the follow-up steps, the rules hit and missed and the result."""
    explanation = error = None
    recipients = request.form.get("to", "")
    trusted = "trusted" in request.form
    raw_text = request.form.get("raw", "")
    if request.method == "POST":
        raw = _posted_mail()
        if not raw.strip():
            error = "Paste a mail or choose a file."
        else:
            explanation = explain_mail(raw, recipients.split(), trusted)
    page = render_template(
        "admin/rules_test.html", title="Test a mail against the rules", explanation=explanation,
        error=error, to=recipients, trusted=trusted, raw=raw_text,
    )  # fmt: skip
    return (page, 400) if error else page
