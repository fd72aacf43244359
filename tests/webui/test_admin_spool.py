"""Admin spool pages: failed mail with its error, retry as `mailgate spool retry`, discard that keeps the
bytes, and the raw download."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from schema import InboundMail, InboundSource, Ticket
from tests.webui.admin_support import post_form, sign_in_admin
from tests.webui.support import Client, WebEnv, mail

pytestmark = pytest.mark.integration


def failed_mail(web: WebEnv, subject: str) -> tuple[int, bytes]:
    """A spooled mail whose last processing failed (as the processor records it)."""
    raw = mail(subject=subject)
    accepted = web.services.intake.accept(
        raw, InboundSource.SMTP, "jane@customer.example", ("support@example.org",)
    )
    with web.services.sessions.begin() as session:
        session.execute(
            update(InboundMail)
            .where(InboundMail.id == accepted.spool_id)
            .values(
                state="failed", attempts=2, last_error="OperationalError: database went away\ntraceback..."
            )
        )
    return accepted.spool_id, raw


def test_failed_mail_is_listed_shown_and_downloadable(web: WebEnv, client: Client) -> None:
    sign_in_admin(web, client)
    spool_id, raw = failed_mail(web, "Listed failure")
    listing = client.get("/admin/spool/").get_data(as_text=True)
    assert f'data-spool-id="{spool_id}"' in listing and "database went away" in listing
    assert f'data-spool-id="{spool_id}"' not in client.get("/admin/spool/?state=done").get_data(as_text=True)
    page = client.get(f"/admin/spool/{spool_id}").get_data(as_text=True)
    assert "database went away" in page and "Subject: Listed failure" in page and "Retry now" in page
    download = client.get(f"/admin/spool/{spool_id}/raw")
    assert download.status_code == 200 and download.data == raw
    assert download.mimetype == "message/rfc822"
    assert f'filename="spool-{spool_id}.eml"' in download.headers["Content-Disposition"]
    assert client.get("/admin/spool/999999999").status_code == 404


def test_retry_processes_a_failed_mail_into_a_ticket(web: WebEnv, client: Client) -> None:
    sign_in_admin(web, client)
    spool_id, _ = failed_mail(web, "Retried failure")
    response = post_form(client, f"/admin/spool/{spool_id}/retry", {})
    assert response.status_code == 302
    with web.services.sessions() as session:
        row = session.get_one(InboundMail, spool_id)
        assert (
            row.state == "done" and row.ticket_id is not None and row.attempts == 3 and row.last_error is None
        )
        assert session.get_one(Ticket, row.ticket_id).title == "Retried failure"
    page = client.get(f"/admin/spool/{spool_id}").get_data(as_text=True)
    assert f"ticket {row.ticket_id}" in page and "Retry now" not in page
    # a done row is not processed again: the same semantics as `mailgate spool retry`
    post_form(client, f"/admin/spool/{spool_id}/retry", {})
    assert "only failed rows are retried" in client.get(f"/admin/spool/{spool_id}").get_data(as_text=True)
    with web.services.sessions() as session:
        assert session.get_one(InboundMail, spool_id).attempts == 3
        count = session.scalar(
            select(func.count()).select_from(Ticket).where(Ticket.title == "Retried failure")
        )
        assert count == 1


def test_discard_marks_the_mail_ignored_and_keeps_its_bytes(web: WebEnv, client: Client) -> None:
    login = sign_in_admin(web, client)
    spool_id, raw = failed_mail(web, "Discarded failure")
    assert post_form(client, f"/admin/spool/{spool_id}/discard", {}).status_code == 302
    with web.services.sessions() as session:
        row = session.get_one(InboundMail, spool_id)
        assert row.state == "ignored" and row.raw == raw and row.next_attempt_at is None
        assert f"discarded by {login}" in (row.last_error or "") and "database went away" in (
            row.last_error or ""
        )
    assert web.processor.process(spool_id).state == "ignored"  # nothing picks it up again
    assert client.get(f"/admin/spool/{spool_id}/raw").data == raw
    listing = client.get("/admin/spool/?state=ignored").get_data(as_text=True)
    assert f'data-spool-id="{spool_id}"' in listing and f"discarded by {login}" in listing
    post_form(client, f"/admin/spool/{spool_id}/discard", {})
    page = client.get(f"/admin/spool/{spool_id}").get_data(as_text=True)
    assert "only failed or unprocessed rows are discarded" in page and "Discard (keep" not in page


def test_a_processed_mail_cannot_be_discarded(web: WebEnv, client: Client) -> None:
    sign_in_admin(web, client)
    ticket_id = web.deliver(mail(subject="Fine mail"))
    with web.services.sessions() as session:
        spool_id = session.scalars(select(InboundMail.id).where(InboundMail.ticket_id == ticket_id)).one()
    post_form(client, f"/admin/spool/{spool_id}/discard", {})
    with web.services.sessions() as session:
        assert session.get_one(InboundMail, spool_id).state == "done"


def test_retry_all_failed_processes_every_failed_row(web: WebEnv, client: Client) -> None:
    sign_in_admin(web, client)
    ids = [failed_mail(web, f"Batch failure {n}")[0] for n in range(3)]
    assert "Retry all failed now" in client.get("/admin/spool/").get_data(as_text=True)
    response = post_form(client, "/admin/spool/retry-failed", {})
    assert response.status_code == 302
    with web.services.sessions() as session:
        assert {session.get_one(InboundMail, ident).state for ident in ids} == {"done"}
        assert (
            session.scalar(select(func.count()).select_from(InboundMail).where(InboundMail.state == "failed"))
            == 0
        )
    assert "failed row(s): " in client.get("/admin/spool/?state=failed").get_data(as_text=True)
