"""A streaming mbox reader: splits on From_ lines chunk by chunk and undoes >From quoting.

A line starting with "From " separates two mails when it follows an empty line (as mbox writers put
it) and carries a time of day, or, without the empty line, when it is a complete asctime From_ line
("From sender Www Mmm dd hh:mm:ss yyyy"); so an unquoted "From " in the body of a carelessly written
mbox does not cut a mail in two. The
empty line before a From_ line (and at the end of the file) belongs to the mbox, not to the mail.
Memory stays bounded by the largest mail (and by `max_size`, beyond which a mail is skipped unread).
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO

from mailgate.importer.items import SourceItem, UnreadableMail, check_content

CHUNK_SIZE = 1 << 20
FROM_LINE_MAX = 4096
_CANDIDATE = b"\nFrom "
_FROM_LINE_AFTER_BLANK = re.compile(rb"From \S+ [^\n]*\d:\d\d")
_FROM_LINE = re.compile(
    rb"From \S+ +(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) +(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
    rb" +\d{1,2} +\d{1,2}:\d{2}(?::\d{2})?(?: +\S+)? +\d{4}"
)
_RD_QUOTED = re.compile(rb"^>(>*From )", re.MULTILINE)
_O_QUOTED = re.compile(rb"^>(From )", re.MULTILINE)


class FromQuoting(StrEnum):
    """How body lines starting with "From " were quoted when the mbox was written."""

    MBOXRD = "mboxrd"  # every ">*From " line got one more ">": remove one from each
    MBOXO = "mboxo"  # only "From " became ">From ": remove the ">" from exactly those
    NONE = "none"  # keep the lines as stored


def unquote(raw: bytes, quoting: FromQuoting) -> bytes:
    """The mail as it was before the mbox writer quoted its "From " lines."""
    if quoting is FromQuoting.NONE or b">From " not in raw:
        return raw
    pattern = _RD_QUOTED if quoting is FromQuoting.MBOXRD else _O_QUOTED
    return pattern.sub(rb"\1", raw)


def looks_like_mbox(path: Path) -> bool:
    """Whether the file starts with a From_ line."""
    with path.open("rb") as stream:
        return stream.read(5) == b"From "


@dataclass(frozen=True, slots=True)
class MboxPiece:
    """One mail cut from the mbox: its bytes (None if skipped as too large) and file offsets."""

    offset: int
    end: int
    raw: bytes | None


def _blank_line_before(buf: bytearray, i: int, floor: int) -> int:
    """Length of the empty line (LF or CRLF) that ends at buf[i]; 0 if the line there is not empty."""
    if i - 1 >= floor and buf[i - 1] == 0x0A:
        return 1
    if i - 2 >= floor and buf[i - 1] == 0x0D and buf[i - 2] == 0x0A:
        return 2
    return 0


class MboxSplitter:
    """Cuts a binary stream that starts with a From_ line into mails, reading CHUNK_SIZE at a time."""

    def __init__(self, stream: BinaryIO, max_size: int, chunk_size: int = CHUNK_SIZE) -> None:
        self._stream = stream
        self._max_size = max_size
        self._chunk_size = chunk_size
        self._buf = bytearray()
        self._base = 0  # file offset of _buf[0]
        self._eof = False

    def __iter__(self) -> Iterator[MboxPiece]:
        """The mails in file order."""
        start = self._skip_first_from_line()
        while start is not None:
            start = yield from self._next_piece(start)

    def _read_more(self, keep_from: int) -> int:
        """Drop the bytes before keep_from, append a chunk; return how far indexes moved."""
        shift = max(keep_from, 0)
        if shift:
            del self._buf[:shift]
            self._base += shift
        chunk = self._stream.read(self._chunk_size)
        if chunk:
            self._buf += chunk
        else:
            self._eof = True
        return shift

    def _skip_first_from_line(self) -> int | None:
        while (newline := self._buf.find(b"\n")) < 0 and not self._eof:
            self._read_more(0)
        if not self._buf:
            return None
        return newline + 1 if newline >= 0 else len(self._buf)

    def _next_piece(self, start: int) -> Generator[MboxPiece, None, int | None]:
        """Yield the mail beginning at `start`; return where the next one begins (None at the end)."""
        offset, scan, oversize = self._base + start, start - 1, False
        while True:
            found = self._buf.find(_CANDIDATE, max(scan, 0))
            if found < 0:
                if self._eof:
                    end = len(self._buf)
                    yield self._piece(offset, start, end - _trailing_blank(self._buf, start, end), oversize)
                    return None
                scan = max(scan, len(self._buf) - len(_CANDIDATE) + 1)
                if len(self._buf) - start > self._max_size:
                    oversize = True
                    cut = len(self._buf) - 8
                    del self._buf[start:cut]
                    scan = max(start, scan - (cut - start))
                shift = self._read_more(start - 1)
                start, scan = start - shift, scan - shift
                continue
            line_end = self._buf.find(b"\n", found + 1, found + FROM_LINE_MAX)
            if line_end < 0 and not self._eof:
                if len(self._buf) - found >= FROM_LINE_MAX:  # far too long for a From_ line
                    scan = found + 1
                    continue
                shift = self._read_more(start - 1)
                start, scan = start - shift, found - shift
                continue
            line_end = len(self._buf) if line_end < 0 else line_end
            blank = _blank_line_before(self._buf, found, start - 1)
            pattern = _FROM_LINE_AFTER_BLANK if blank else _FROM_LINE
            if not pattern.match(self._buf, found + 1, line_end):
                scan = found + 1
                continue
            end = found + 1 - blank if blank else found + 1
            yield self._piece(offset, start, end, oversize)
            return line_end + 1 if line_end < len(self._buf) else None

    def _piece(self, offset: int, start: int, end: int, oversize: bool) -> MboxPiece:
        raw = None if oversize else bytes(self._buf[start:end])
        return MboxPiece(offset, self._base + end, raw)


def _trailing_blank(buf: bytearray, start: int, end: int) -> int:
    """Length of the empty line that closes the last mail of the file (the mbox's, not the mail's)."""
    if end - start >= 2 and buf[end - 2 : end] == b"\n\n":
        return 1
    if end - start >= 4 and buf[end - 4 : end] == b"\r\n\r\n":
        return 2
    return 0


class MboxSource:
    """The mails of one mbox file, read in a stream."""

    unit = "bytes"

    def __init__(self, path: Path, max_size: int, quoting: FromQuoting = FromQuoting.MBOXRD) -> None:
        self._path = path
        self._max_size = max_size
        self._quoting = quoting

    @property
    def description(self) -> str:
        """What is read."""
        return f"mbox {self._path} ({self._quoting.value} quoting)"

    @property
    def total(self) -> int:
        """The file size in bytes."""
        return self._path.stat().st_size

    def __iter__(self) -> Iterator[SourceItem]:
        """Each mail in file order, unquoted, or the reason it was skipped."""
        position = 0
        with self._path.open("rb") as stream:
            for number, piece in enumerate(MboxSplitter(stream, self._max_size), start=1):
                where = f"{self._path.name}: mail {number} at byte {piece.offset}"
                advance, position = piece.end - position, piece.end
                if piece.raw is None:
                    yield UnreadableMail(where, f"larger than the limit of {self._max_size} bytes", advance)
                else:
                    yield check_content(where, unquote(piece.raw, self._quoting), self._max_size, advance)
