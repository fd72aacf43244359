"""The streaming mbox splitter: From_ lines, >From quoting, CRLF, chunk edges, oversize mails."""

from __future__ import annotations

import io
import mailbox
import random
from pathlib import Path

import pytest

from mailgate.importer.items import SourceMail, UnreadableMail
from mailgate.importer.mbox import FromQuoting, MboxSource, MboxSplitter, unquote

FROM_LINE = b"From jane@example.com Mon Jan  1 10:00:00 2024\n"


def mail(n: int, body: bytes = b"Hello.\n", eol: bytes = b"\n") -> bytes:
    head = [b"From: jane@example.com", b"Subject: mail %d" % n, b"Message-ID: <%d@example.com>" % n]
    return eol.join(head) + eol + eol + body.replace(b"\n", eol)


def split(data: bytes, chunk_size: int, max_size: int = 1 << 20) -> list[bytes | None]:
    return [piece.raw for piece in MboxSplitter(io.BytesIO(data), max_size, chunk_size)]


def mboxrd(mails: list[bytes], eol: bytes = b"\n") -> bytes:
    """An mboxrd file written the way mutt/procmail do: quoted bodies, an empty line after each mail."""
    out = b""
    for raw in mails:
        quoted = unquote_reverse(raw)
        out += FROM_LINE.replace(b"\n", eol) + quoted + eol
    return out


def unquote_reverse(raw: bytes) -> bytes:
    lines = raw.split(b"\n")
    return b"\n".join(b">" + line if line.lstrip(b">").startswith(b"From ") else line for line in lines)


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 5, 8, 64, 1 << 20])
def test_split_is_independent_of_chunk_edges(chunk_size: int) -> None:
    mails = [mail(1), mail(2, b"From the start of the body\n>From quoted\n\nFrom a paragraph\n"), mail(3)]
    assert split(mboxrd(mails), chunk_size) == [unquote_reverse(m) for m in mails]


def test_mboxrd_quoting_is_undone_exactly() -> None:
    original = mail(1, b"From here.\n>From there.\n>>From far away.\nFrom\n")
    stored = unquote_reverse(original)
    assert stored.count(b">From") == 3
    assert unquote(stored, FromQuoting.MBOXRD) == original


def test_mboxo_removes_one_level_only_from_single_quotes() -> None:
    assert unquote(b"a\n>From x\n>>From y\n", FromQuoting.MBOXO) == b"a\nFrom x\n>>From y\n"
    assert unquote(b"a\n>From x\n", FromQuoting.NONE) == b"a\n>From x\n"


def test_unquoted_from_in_body_does_not_split_the_mail() -> None:
    # carelessly written mbox: a "From " line after the header's empty line, and one inside a paragraph
    body = b"From my point of view\nthis is fine.\nFrom now on, 10:00 sharp.\n"
    data = FROM_LINE + mail(1, body) + b"\n" + FROM_LINE + mail(2)
    assert split(data, 4) == [mail(1, body), mail(2)]


def test_from_line_without_empty_line_before_still_splits() -> None:
    data = FROM_LINE + mail(1) + FROM_LINE + mail(2)
    assert split(data, 16) == [mail(1), mail(2)]


def test_crlf_mbox_keeps_crlf_and_drops_the_separator_line() -> None:
    mails = [mail(1, eol=b"\r\n"), mail(2, b"line\n", eol=b"\r\n")]
    data = b"".join(FROM_LINE.replace(b"\n", b"\r\n") + m + b"\r\n" for m in mails)
    assert split(data, 7) == mails


def test_empty_mail_between_two_from_lines() -> None:
    data = FROM_LINE + b"\n" + FROM_LINE + mail(2)
    assert split(data, 5) == [b"", mail(2)]


def test_oversize_mail_is_skipped_without_holding_it() -> None:
    big = mail(1, b"x" * 5000 + b"\n")
    data = FROM_LINE + big + b"\n" + FROM_LINE + mail(2)
    splitter = MboxSplitter(io.BytesIO(data), 1000, 64)
    pieces = list(splitter)
    assert [p.raw for p in pieces] == [None, mail(2)]
    assert len(splitter._buf) < 2000  # never held the 5 KB mail


def test_python_mailbox_mboxo_file_reads_back(tmp_path: Path) -> None:
    """An mbox written by Python's own mailbox module (mboxo quoting) gives back the original bytes."""
    originals = [mail(n, b"From the desk of %d\nbody\n" % n) for n in range(5)]
    box = mailbox.mbox(tmp_path / "py.mbox")
    for raw in originals:
        box.add(raw)
    box.close()
    source = MboxSource(tmp_path / "py.mbox", 1 << 20, FromQuoting.MBOXO)
    assert [item.raw for item in source if isinstance(item, SourceMail)] == originals


def test_source_reports_empty_and_too_large_mails(tmp_path: Path) -> None:
    path = tmp_path / "bad.mbox"
    path.write_bytes(
        FROM_LINE + b"\n" + FROM_LINE + mail(2, b"y" * 3000 + b"\n") + b"\n" + FROM_LINE + mail(3)
    )
    items = list(MboxSource(path, 2000))
    assert isinstance(items[0], UnreadableMail) and items[0].reason == "empty"
    assert isinstance(items[1], UnreadableMail) and "larger than" in items[1].reason
    assert isinstance(items[2], SourceMail) and items[2].raw == mail(3)
    assert "mail 3 at byte" in items[2].where
    assert sum(item.advance for item in items) == path.stat().st_size


@pytest.mark.parametrize("seed", range(40))
def test_random_mboxes_split_the_same_at_any_chunk_size(seed: int) -> None:
    rng = random.Random(seed)
    pieces = [b"From ", b"\n", b"\r\n", b">From ", b"text", b" ", FROM_LINE, b"From x 10:00\n", b"\n\n"]
    data = FROM_LINE + b"".join(rng.choice(pieces) for _ in range(rng.randrange(1, 120)))
    whole = split(data, 1 << 20)
    for chunk_size in (1, 2, 3, 7, 13):
        assert split(data, chunk_size) == whole
    assert whole and all(raw is not None and raw in data for raw in whole)


def test_file_without_a_newline_after_the_from_line() -> None:
    assert split(b"From x", 2) == [b""]
    assert split(b"", 2) == []
