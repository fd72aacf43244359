"""Admin: the inbound spool — failed and ignored mails with their errors; retry, discard, raw download.

Same semantics as `mailgate spool`: only failed rows are retried (processed again now, in this
process). Discarding never deletes: the row keeps its raw bytes and becomes 'ignored' with a note of
who discarded it and its previous error in last_error (DESIGN.md: nothing is dropped silently).
"""

from __future__ import annotations

import json
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select, update
from werkzeug.wrappers import Response

from mailgate.services import build_processor
from schema import InboundMail, InboundState
from schema.pipeline import Decision
from webui.access import admin_required, current_agent
from webui.admin import bp
from webui.admin.common import now
from webui.db import db

PAGE = 100
RETRY_BATCH = 100  # rows per "retry all failed" request (the request waits for them)
HEADER_PREVIEW = 20_000
DISCARDABLE = (InboundState.FAILED.value, InboundState.RECEIVED.value)
PROBLEMS = "problems"
FILTERS = (PROBLEMS, *(state.value for state in InboundState), "all")


def _row_or_404(spool_id: int) -> InboundMail:
    row = db().get(InboundMail, spool_id)
    if row is None:
        abort(404)
    return row


@bp.get("/spool/")
@admin_required
def spool_list() -> str:
    """Spool rows, newest first: by default the failed and ignored ones."""
    shown = request.args.get("state", PROBLEMS)
    if shown not in FILTERS:
        shown = PROBLEMS
    page = max(1, request.args.get("page", 1, type=int) or 1)
    query = select(InboundMail).order_by(InboundMail.id.desc())
    if shown == PROBLEMS:
        query = query.where(InboundMail.state.in_((InboundState.FAILED.value, InboundState.IGNORED.value)))
    elif shown != "all":
        query = query.where(InboundMail.state == shown)
    rows = list(db().scalars(query.offset((page - 1) * PAGE).limit(PAGE + 1)))
    grouped = db().execute(select(InboundMail.state, func.count()).group_by(InboundMail.state)).all()
    counts = {row[0]: row[1] for row in grouped}
    return render_template(
        "admin/spool.html", title="Inbound spool", rows=rows[:PAGE], more=len(rows) > PAGE, page=page,
        shown=shown, filters=FILTERS, counts=counts, outcomes=_outcomes([row.id for row in rows]),
    )  # fmt: skip


def _outcomes(ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    found = db().execute(select(Decision.inbound_id, Decision.outcome).where(Decision.inbound_id.in_(ids)))
    return {row[0]: row[1] for row in found.all()}


@bp.get("/spool/<int:spool_id>")
@admin_required
def spool_show(spool_id: int) -> str:
    """One spool row: state, attempts, error, the decision trace and the mail's header."""
    row = _row_or_404(spool_id)
    decision = db().scalar(select(Decision).where(Decision.inbound_id == spool_id))
    trace: Any = json.dumps(json.loads(decision.trace), indent=2) if decision is not None else None
    header = row.raw[:HEADER_PREVIEW].split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    return render_template(
        "admin/spool_show.html", title=f"Spool row {row.id}", row=row, decision=decision, trace=trace,
        header=header.decode("utf-8", errors="replace"), can_retry=row.state == InboundState.FAILED.value,
        can_discard=row.state in DISCARDABLE,
    )  # fmt: skip


@bp.get("/spool/<int:spool_id>/raw")
@admin_required
def spool_raw(spool_id: int) -> Response:
    """The raw mail, byte for byte, as an .eml download."""
    row = _row_or_404(spool_id)
    return Response(
        row.raw, mimetype="message/rfc822",
        headers={"Content-Disposition": f'attachment; filename="spool-{row.id}.eml"'},
    )  # fmt: skip


@bp.post("/spool/<int:spool_id>/retry")
@admin_required
def spool_retry(spool_id: int) -> Response:
    """Process a failed row again now (as `mailgate spool retry ID`)."""
    session = db()
    waiting = (
        update(InboundMail)
        .where(InboundMail.id == spool_id, InboundMail.state == InboundState.FAILED.value)
        .values(next_attempt_at=None)
    )
    if session.execute(waiting).rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        _row_or_404(spool_id)
        flash(f"Spool row {spool_id} is not failed; only failed rows are retried.", "error")
        return redirect(url_for("admin.spool_show", spool_id=spool_id))
    session.commit()
    session.close()  # the processor works in its own transaction
    result = build_processor(current_app.extensions["mailgate"].services).process(spool_id)
    category = "error" if result.state == InboundState.FAILED.value else "success"
    detail = f"ticket {result.ticket_id}" if result.ticket_id else (result.error or result.outcome or "")
    flash(f"Spool row {spool_id}: {result.state} {detail}".strip(), category)
    return redirect(url_for("admin.spool_show", spool_id=spool_id))


@bp.post("/spool/retry-failed")
@admin_required
def spool_retry_failed() -> Response:
    """Process the oldest failed rows again now (`mailgate spool retry --all-failed`, a batch at a time)."""
    session = db()
    query = select(InboundMail.id).where(InboundMail.state == InboundState.FAILED.value)
    ids = list(session.scalars(query.order_by(InboundMail.id).limit(RETRY_BATCH)))
    session.execute(update(InboundMail).where(InboundMail.id.in_(ids)).values(next_attempt_at=None))
    session.commit()
    session.close()
    processor = build_processor(current_app.extensions["mailgate"].services)
    states = [processor.process(spool_id).state for spool_id in ids]
    failed = states.count(InboundState.FAILED.value)
    flash(f"Retried {len(ids)} failed row(s): {len(ids) - failed} processed, {failed} failed again.",
          "error" if failed else "success")  # fmt: skip
    return redirect(url_for("admin.spool_list", state=InboundState.FAILED.value))


@bp.post("/spool/<int:spool_id>/discard")
@admin_required
def spool_discard(spool_id: int) -> Response:
    """Mark a failed (or never processed) row as ignored; its raw bytes stay stored."""
    session = db()
    row = _row_or_404(spool_id)
    agent = current_agent()
    note = f"discarded by {agent.login} (user {agent.id}) at {now():%Y-%m-%d %H:%M:%S} UTC; was {row.state}"
    if row.last_error:
        note += f"; previous error:\n{row.last_error}"
    marked = (
        update(InboundMail)
        .where(InboundMail.id == spool_id, InboundMail.state.in_(DISCARDABLE))
        .values(
            state=InboundState.IGNORED.value, last_error=note[:4000], next_attempt_at=None, changed_at=now()
        )
    )
    if session.execute(marked).rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        flash(f"Spool row {spool_id} is {row.state}; only failed or unprocessed rows are discarded.", "error")
    else:
        session.commit()
        flash(f"Spool row {spool_id} discarded; the mail is kept and can be downloaded.", "success")
    return redirect(url_for("admin.spool_show", spool_id=spool_id))
