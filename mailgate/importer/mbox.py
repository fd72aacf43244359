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
from collections.abc import Iterator
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
    """One mail cut from the mbox: bytes (None when too large), start offset, offset of what follows."""

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
        self._start = 0  # where the current mail begins in _buf
        self._scan = 0  # where the search for the next From_ line goes on
        self._oversize = False  # the current mail outgrew max_size and is being skipped
        self._done = False

    def __iter__(self) -> Iterator[MboxPiece]:
        """The mails in file order."""
        self._skip_first_from_line()
        while not self._done:
            yield self._next_piece()

    def _skip_first_from_line(self) -> None:
        while (newline := self._buf.find(b"\n")) < 0 and not self._eof:
            self._read_more()
        self._done = not self._buf
        self._start = newline + 1 if newline >= 0 else len(self._buf)

    def _next_piece(self) -> MboxPiece:
        """The mail at _start; moves _start to the next mail (or sets _done after the last)."""
        offset, self._scan, self._oversize = self._base + self._start, self._start - 1, False
        while True:
            found = self._buf.find(_CANDIDATE, max(self._scan, 0))
            if found < 0 and self._eof:
                return self._last_piece(offset)
            if found < 0:
                self._scan = max(self._scan, len(self._buf) - len(_CANDIDATE) + 1)
                self._drop_if_oversize()
                self._read_more()
                continue
            line_end = self._from_line_end(found)
            if line_end is None:
                continue
            blank = _blank_line_before(self._buf, found, self._start - 1)
            pattern = _FROM_LINE_AFTER_BLANK if blank else _FROM_LINE
            if not pattern.match(self._buf, found + 1, line_end):
                self._scan = found + 1
                continue
            piece = self._piece(offset, found + 1 - blank, found + 1)
            self._done = line_end >= len(self._buf)
            self._start = line_end + 1
            return piece

    def _from_line_end(self, found: int) -> int | None:
        """End of the "From " line after buf[found]; None when it must be read first or is no From_ line."""
        line_end = self._buf.find(b"\n", found + 1, found + FROM_LINE_MAX)
        if line_end >= 0:
            return line_end
        if self._eof:
            return len(self._buf)
        if len(self._buf) - found >= FROM_LINE_MAX:  # far too long for a From_ line
            self._scan = found + 1
        else:
            self._scan = found
            self._read_more()
        return None

    def _drop_if_oversize(self) -> None:
        """Past max_size, forget the current mail's bytes but a short tail (the From_ search needs it)."""
        if len(self._buf) - self._start <= self._max_size:
            return
        self._oversize = True
        cut = len(self._buf) - 2 * len(_CANDIDATE)
        del self._buf[self._start : cut]
        self._scan = max(self._start, self._scan - (cut - self._start))

    def _read_more(self) -> None:
        """Drop what lies before the current mail (but its From_ line's end), append a chunk."""
        shift = self._start - 1
        if shift > 0:
            del self._buf[:shift]
            self._base += shift
            self._start -= shift
            self._scan -= shift
        chunk = self._stream.read(self._chunk_size)
        self._buf += chunk
        self._eof = not chunk

    def _last_piece(self, offset: int) -> MboxPiece:
        end = len(self._buf)
        self._done = True
        return self._piece(offset, end - _trailing_blank(self._buf, self._start, end), end)

    def _piece(self, offset: int, end: int, next_at: int) -> MboxPiece:
        raw = None if self._oversize else bytes(self._buf[self._start : end])
        return MboxPiece(offset, self._base + next_at, raw)


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
