"""Importer into a real database: exact bytes, skip what is present, duplicates, resume, bad mails."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine, func, select

from mailgate.database import create_engine_for, session_factory
from mailgate.importer.detect import SourceOptions, open_source
from mailgate.importer.run import Importer, RunControl
from mailgate.importer.summary import ImportSummary, StopReason
from mailgate.initdb import init_database
from mailgate.intake import Intake
from schema.spool import InboundMail

FROM_LINE = b"From jane@example.com Mon Jan  1 10:00:00 2024\n"
OPTIONS = SourceOptions(max_size=1 << 20)


def make_mail(tag: str, n: int, body: bytes = b"Please help.\r\n") -> bytes:
    return (
        f"From: Jane <jane@example.com>\r\nTo: support@example.org\r\nSubject: mail {n}\r\n"
        f"Message-ID: <{n}.{tag}@example.com>\r\n\r\n"
    ).encode() + body


def mboxrd_quote(raw: bytes) -> bytes:
    lines = raw.split(b"\n")
    return b"\n".join(b">" + line if line.lstrip(b">").startswith(b"From ") else line for line in lines)


def write_mbox(path: Path, mails: list[bytes]) -> Path:
    path.write_bytes(b"".join(FROM_LINE + mboxrd_quote(raw) + b"\n" for raw in mails))
    return path


def stored(engine: Engine, tag: str) -> dict[str, list[bytes]]:
    """Message-ID -> the raw bytes of every spool row holding it."""
    with session_factory(engine)() as session:
        rows = session.execute(
            select(InboundMail.message_id, InboundMail.raw).where(InboundMail.message_id.like(f"%.{tag}@%"))
        ).all()
    found: dict[str, list[bytes]] = {}
    for message_id, raw in rows:
        found.setdefault(message_id or "", []).append(raw)
    return found


def spool_size(engine: Engine) -> int:
    with session_factory(engine)() as session:
        return session.scalar(select(func.count()).select_from(InboundMail)) or 0


def run_import(engine: Engine, path: Path, control: RunControl | None = None, **kw: int) -> ImportSummary:
    sessions = session_factory(engine)
    return Importer(Intake(sessions), sessions, **kw).run(open_source(path, OPTIONS), control)


def test_mbox_with_from_quoting_stores_the_original_bytes(engine: Engine, tmp_path: Path) -> None:
    tag = uuid.uuid4().hex
    mails = [
        make_mail(tag, 1, b"From the start of a line.\r\n>From quoted already.\r\n>>From twice.\r\n"),
        make_mail(tag, 2, b"Plain.\r\n\r\nFrom here on it is quoted.\r\n"),
        make_mail(tag, 3, "Grüße, 8bit.\r\n".encode()),
    ]
    summary = run_import(engine, write_mbox(tmp_path / "box.mbox", mails))
    assert (summary.stored, summary.failed) == (3, 0)
    assert stored(engine, tag) == {f"{n}.{tag}@example.com": [raw] for n, raw in enumerate(mails, start=1)}


def test_maildir_cur_and_new_stored_byte_for_byte(engine: Engine, tmp_path: Path) -> None:
    tag = uuid.uuid4().hex
    for sub in ("cur", "new", "tmp"):
        (tmp_path / sub).mkdir()
    files = {
        tmp_path / "cur" / "1700000001.M1.host:2,S": make_mail(tag, 1),
        tmp_path / "new" / "1700000002.M2.host": make_mail(tag, 2, b"\x00\xff raw 8bit\n\r\n"),
        tmp_path / "tmp" / "1700000003.M3.host": make_mail(tag, 3),
    }
    for path, raw in files.items():
        path.write_bytes(raw)
    summary = run_import(engine, tmp_path)
    assert summary.stored == 2
    assert stored(engine, tag) == {
        f"1.{tag}@example.com": [make_mail(tag, 1)],
        f"2.{tag}@example.com": [(tmp_path / "new" / "1700000002.M2.host").read_bytes()],
    }


def test_eml_folder_bytes_equal_the_files(engine: Engine, tmp_path: Path) -> None:
    tag = uuid.uuid4().hex
    paths = []
    for n in range(4):
        path = tmp_path / f"{n}.eml"
        path.write_bytes(make_mail(tag, n, b"no final newline" if n == 2 else b"body\r\n"))
        paths.append(path)
    assert run_import(engine, tmp_path).stored == 4
    found = stored(engine, tag)
    for n, path in enumerate(paths):
        assert found[f"{n}.{tag}@example.com"] == [path.read_bytes()]


def test_rerun_stores_nothing_new(engine: Engine, tmp_path: Path) -> None:
    tag = uuid.uuid4().hex
    box = write_mbox(tmp_path / "box.mbox", [make_mail(tag, n) for n in range(30)])
    first = run_import(engine, box, batch_mails=7)
    before = spool_size(engine)
    again = run_import(engine, box, batch_mails=7)
    assert (first.stored, again.stored, again.already_present, again.duplicates) == (30, 0, 30, 0)
    assert spool_size(engine) == before


@pytest.mark.parametrize("workers", [1, 4])
def test_same_mail_twice_in_the_input_is_stored_once(engine: Engine, tmp_path: Path, workers: int) -> None:
    tag = uuid.uuid4().hex
    mails = [make_mail(tag, 1), make_mail(tag, 2), make_mail(tag, 1)] * 2
    summary = run_import(engine, write_mbox(tmp_path / "box.mbox", mails), batch_mails=2, workers=workers)
    assert (summary.stored, summary.duplicates, summary.already_present) == (2, 4, 0)
    assert {k: len(v) for k, v in stored(engine, tag).items()} == {
        f"1.{tag}@example.com": 1,
        f"2.{tag}@example.com": 1,
    }


@pytest.mark.parametrize("workers", [1, 4])
def test_stopped_runs_resume_and_store_every_mail_exactly_once(
    engine: Engine, tmp_path: Path, workers: int
) -> None:
    tag = uuid.uuid4().hex
    box = write_mbox(tmp_path / "box.mbox", [make_mail(tag, n) for n in range(50)])
    first = run_import(engine, box, RunControl(limit=12), batch_mails=5, workers=workers)
    polls = iter(range(1000))
    stop_after_30 = RunControl(should_stop=lambda: next(polls) >= 30)
    second = run_import(engine, box, stop_after_30, batch_mails=8, workers=workers)
    third = run_import(engine, box, workers=workers)
    assert (first.stopped, first.stored) == (StopReason.LIMIT, 12)
    assert second.stopped is StopReason.INTERRUPTED and second.read == 30
    assert first.stored + second.stored + third.stored == 50
    assert third.stopped is StopReason.COMPLETE and third.already_present == 30
    counts = {k: len(v) for k, v in stored(engine, tag).items()}
    assert counts == {f"{n}.{tag}@example.com": 1 for n in range(50)}


REJECT_TRIGGER = {
    "sqlite": [
        "CREATE TRIGGER reject_test BEFORE INSERT ON mailgate_inbound WHEN NEW.message_id LIKE 'reject-me%'"
        " BEGIN SELECT RAISE(ABORT, 'rejected by the test trigger'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION reject_test() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
        " IF starts_with(NEW.message_id, 'reject-me') THEN"
        " RAISE EXCEPTION 'rejected by the test trigger'; END IF;"
        " RETURN NEW; END $$",
        "CREATE TRIGGER reject_test BEFORE INSERT ON mailgate_inbound"
        " FOR EACH ROW EXECUTE FUNCTION reject_test()",
    ],
}
DROP_TRIGGER = {
    "sqlite": ["DROP TRIGGER reject_test"],
    "postgresql": ["DROP TRIGGER reject_test ON mailgate_inbound", "DROP FUNCTION reject_test()"],
}


def test_a_mail_the_database_rejects_is_reported_and_the_import_goes_on(
    engine: Engine, tmp_path: Path, backend: str
) -> None:
    tag = uuid.uuid4().hex
    rejected = make_mail(tag, 2).replace(b"Message-ID: <2.", b"Message-ID: <reject-me.2.")
    for n, raw in enumerate([make_mail(tag, 1), rejected, make_mail(tag, 3)]):
        (tmp_path / f"{n}.eml").write_bytes(raw)
    with engine.begin() as connection:
        for statement in REJECT_TRIGGER[backend]:
            connection.exec_driver_sql(statement)
    try:
        summary = run_import(engine, tmp_path, workers=2)
    finally:
        with engine.begin() as connection:
            for statement in DROP_TRIGGER[backend]:
                connection.exec_driver_sql(statement)
    assert summary.stopped is StopReason.COMPLETE
    assert summary.stored == 2 and summary.read == 3
    assert {f"1.{tag}@example.com", f"3.{tag}@example.com"} <= set(stored(engine, tag))
    assert [f.where for f in summary.failures] == ["1.eml"]
    assert "could not store the mail" in summary.failures[0].reason


def test_bad_mails_are_reported_and_the_rest_imported(engine: Engine, tmp_path: Path) -> None:
    tag = uuid.uuid4().hex
    box = tmp_path / "box.mbox"
    box.write_bytes(
        FROM_LINE
        + make_mail(tag, 1)
        + b"\n"
        + FROM_LINE
        + b"\n"
        + FROM_LINE
        + b"   \n\n"
        + FROM_LINE
        + make_mail(tag, 2)
    )
    summary = run_import(engine, box)
    assert (summary.read, summary.stored, summary.failed) == (4, 2, 2)
    assert [f.reason for f in summary.failures] == ["empty", "empty"]
    assert "mail 2 at byte" in summary.failures[0].where
    assert len(stored(engine, tag)) == 2


def test_database_lost_mid_run_ends_the_run_resumably(
    pg_url_factory: Callable[[], str], tmp_path: Path
) -> None:
    url = pg_url_factory()
    init_database(url)
    engine = create_engine_for(url)
    tag = uuid.uuid4().hex
    box = write_mbox(tmp_path / "box.mbox", [make_mail(tag, n) for n in range(20)])
    polls = iter(range(1000))

    def drop_database_after_five_mails() -> bool:
        if next(polls) == 5:
            name = url.rsplit("/", 1)[1]
            with psycopg.connect("host=127.0.0.1 user=postgres dbname=test", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        return False

    try:
        summary = run_import(engine, box, RunControl(should_stop=drop_database_after_five_mails))
    finally:
        engine.dispose()
    assert (summary.stopped, summary.stored, summary.failed) == (StopReason.STORAGE, 5, 0)
    assert summary.stop_detail and "run the same import again" in "\n".join(summary.report_lines())
