"""Source detection and the one-file-per-mail readers (Maildir, Maildir++, .eml folders); progress lines."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from mailgate.errors import MailgateError
from mailgate.importer.detect import SourceOptions, open_source
from mailgate.importer.files import FileListSource
from mailgate.importer.items import SourceMail, UnreadableMail
from mailgate.importer.mbox import MboxSource
from mailgate.importer.progress import LogProgress
from mailgate.importer.summary import ImportSummary, StopReason

OPTIONS = SourceOptions(max_size=10_000)


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def make_maildir(root: Path) -> None:
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True, exist_ok=True)


def test_maildir_reads_cur_and_new_but_not_tmp(tmp_path: Path) -> None:
    make_maildir(tmp_path)
    write(tmp_path / "cur" / "1700000001.a.host:2,S", b"Subject: one\n\n1\n")
    write(tmp_path / "new" / "1700000002.b.host", b"Subject: two\n\n2\n")
    write(tmp_path / "tmp" / "1700000003.c.host", b"Subject: half-delivered\n")
    write(tmp_path / "cur" / ".hidden", b"Subject: no\n\n")
    make_maildir(tmp_path / ".Sent")
    write(tmp_path / ".Sent" / "cur" / "1700000004.d.host:2,S", b"Subject: sent\n\n4\n")
    source = open_source(tmp_path, OPTIONS)
    assert isinstance(source, FileListSource) and source.total == 2
    assert [item.raw for item in source if isinstance(item, SourceMail)] == [
        b"Subject: one\n\n1\n",
        b"Subject: two\n\n2\n",
    ]
    with_folders = open_source(tmp_path, SourceOptions(10_000, maildir_subfolders=True))
    assert [item.where for item in with_folders] == [
        "cur/1700000001.a.host:2,S",
        "new/1700000002.b.host",
        ".Sent/cur/1700000004.d.host:2,S",
    ]


def test_eml_folder_takes_eml_files_recursively_in_path_order(tmp_path: Path) -> None:
    write(tmp_path / "b.eml", b"Subject: b\n\nb\n")
    write(tmp_path / "a" / "z.EML", b"Subject: z\n\nz\n")
    write(tmp_path / "notes.txt", b"not a mail")
    source = open_source(tmp_path, OPTIONS)
    assert [item.where for item in source] == ["a/z.EML", "b.eml"]


def test_single_file_and_mbox_are_told_apart(tmp_path: Path) -> None:
    eml = write(tmp_path / "one.eml", b"Return-Path: <x@y>\nSubject: s\n\nFrom me\n")
    mbox = write(tmp_path / "box", b"From x@y Mon Jan  1 10:00:00 2024\nSubject: s\n\nb\n")
    assert isinstance(open_source(eml, OPTIONS), FileListSource)
    assert isinstance(open_source(mbox, OPTIONS), MboxSource)
    assert [getattr(item, "raw", None) for item in open_source(eml, OPTIONS)] == [eml.read_bytes()]


def test_missing_path_is_a_mailgate_error(tmp_path: Path) -> None:
    with pytest.raises(MailgateError):
        open_source(tmp_path / "nope", OPTIONS)


def test_empty_unreadable_and_oversize_files_become_failures(tmp_path: Path) -> None:
    write(tmp_path / "1-empty.eml", b"")
    write(tmp_path / "2-blank.eml", b"\n\r\n  \n")
    write(tmp_path / "3-big.eml", b"Subject: big\n\n" + b"x" * 20_000)
    locked = write(tmp_path / "4-locked.eml", b"Subject: locked\n\n")
    write(tmp_path / "5-good.eml", b"Subject: good\n\n")
    locked.chmod(0)
    try:
        items = list(open_source(tmp_path, OPTIONS))
    finally:
        locked.chmod(0o600)
    reasons = {item.where: item.reason for item in items if isinstance(item, UnreadableMail)}
    assert reasons["1-empty.eml"] == "empty" and reasons["2-blank.eml"] == "empty"
    assert "larger than the limit" in reasons["3-big.eml"]
    if os.geteuid() != 0:  # root reads files regardless of their mode
        assert reasons["4-locked.eml"].startswith("unreadable")
    assert isinstance(items[-1], SourceMail)


def test_log_progress_logs_at_intervals(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    progress = LogProgress(total=100, unit="files", interval=10.0, clock=lambda: now[0])
    summary = ImportSummary()
    caplog.set_level(logging.INFO, logger="mailgate.importer.progress")
    for _ in range(30):
        summary.read += 1
        summary.stored += 1
        now[0] += 1.0
        progress.update(1, summary)
    progress.close()
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 4  # at 10 s, 20 s, 30 s and the closing line
    assert lines[-1].startswith("import 30% of 100 files: 30 stored")


def test_summary_lists_failures_and_how_to_resume() -> None:
    summary = ImportSummary(read=3, stored=1)
    summary.fail("box: mail 2 at byte 10", "empty")
    summary.stopped = StopReason.INTERRUPTED
    text = "\n".join(summary.report_lines())
    assert "failed:              1" in text and "box: mail 2 at byte 10: empty" in text
    assert "stopped early: interrupted" in text
