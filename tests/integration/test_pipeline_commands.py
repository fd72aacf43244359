"""`mailgate rules export|import`, `mailgate route --explain` and `mailgate spool list|show|retry`."""

from __future__ import annotations

import uuid
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import Engine, func, select, update

from mailgate.cli import cli
from mailgate.database import session_factory
from mailgate.intake import Intake
from schema import InboundMail, InboundSource, Ticket
from schema.pipeline import RoutingRule

RULES = """
rules:
  - name: invoices to Misc
    conditions:
      - {field: subject, operator: contains, value: invoice}
    actions:
      - {action: set_queue, value: Misc}
  - name: spam is junk
    position: 20
    conditions:
      - {field: "header:X-Spam-Flag", operator: equals, value: "YES"}
    actions:
      - {action: move_to_junk}
"""


def invoke(url: str, *args: str) -> str:
    result = CliRunner().invoke(
        cli, list(args), env={"MAILGATE_DATABASE_URL": url, "MAILGATE_SECRET_KEY": "k"}
    )
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


def invoice_mail() -> bytes:
    return (
        f"From: Jane <jane@customer.example>\nTo: support@example.org\nSubject: Your invoice 42\n"
        f"Message-ID: <{uuid.uuid4().hex}@customer.example>\n\nhello\n"
    ).encode()


def test_rules_round_trip_and_explain_changes_nothing(
    migrated_url: str, engine: Engine, tmp_path: Path
) -> None:
    (tmp_path / "rules.yml").write_text(RULES)
    invoke(migrated_url, "rules", "import", str(tmp_path / "rules.yml"))
    exported = invoke(migrated_url, "rules", "export")
    assert "invoices to Misc" in exported and "move_to_junk" in exported
    (tmp_path / "mail.eml").write_bytes(invoice_mail())
    with session_factory(engine)() as session:
        before = session.scalar(select(func.count()).select_from(Ticket))
    out = invoke(migrated_url, "route", "--explain", str(tmp_path / "mail.eml"))
    assert "HIT" in out and "'invoices to Misc'" in out and "queue: Misc" in out
    assert "subject_number  missed" in out
    with session_factory(engine)() as session:
        assert session.scalar(select(func.count()).select_from(Ticket)) == before
        session.execute(update(RoutingRule).values(enabled=0))
        session.commit()


def test_invalid_rules_file_is_refused_whole(migrated_url: str, tmp_path: Path) -> None:
    (tmp_path / "bad.yml").write_text(
        "rules:\n  - name: x\n    conditions: [{field: subject, operator: nope, value: a}]\n"
    )
    result = CliRunner().invoke(
        cli, ["rules", "import", str(tmp_path / "bad.yml")], env={"MAILGATE_DATABASE_URL": migrated_url}
    )
    assert result.exit_code != 0 and "nope" in result.output


def test_spool_list_show_and_retry(migrated_url: str, engine: Engine) -> None:
    original = invoice_mail()
    accepted = Intake(session_factory(engine)).accept(original, InboundSource.SMTP)
    with session_factory(engine).begin() as session:
        session.execute(
            update(InboundMail)
            .where(InboundMail.id == accepted.spool_id)
            .values(state="failed", attempts=3, last_error="RuntimeError: disk on fire")
        )
    listing = invoke(migrated_url, "spool", "list", "--state", "failed")
    assert str(accepted.spool_id) in listing and "disk on fire" in listing
    shown = invoke(migrated_url, "spool", "show", str(accepted.spool_id))
    assert "disk on fire" in shown and "failed" in shown
    raw = CliRunner().invoke(
        cli, ["spool", "show", "--raw", str(accepted.spool_id)], env={"MAILGATE_DATABASE_URL": migrated_url}
    )
    assert raw.stdout_bytes == original
    retried = invoke(migrated_url, "spool", "retry", str(accepted.spool_id))
    assert f"{accepted.spool_id}: done new_ticket" in retried
