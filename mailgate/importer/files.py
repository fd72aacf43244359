"""Mail sources made of one file per mail: a Maildir (cur/ and new/), a folder of .eml files, one file."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from mailgate.importer.items import SourceItem, UnreadableMail, check_content

MAILDIR_SUBDIRS = ("cur", "new")


def read_mail_file(path: Path, where: str, max_size: int) -> SourceItem:
    """The file's bytes as a mail, or why they could not be used (unreadable, empty, too large)."""
    try:
        size = path.stat().st_size
        if size > max_size:
            return UnreadableMail(where, f"larger than the limit of {max_size} bytes ({size} bytes)")
        raw = path.read_bytes()
    except OSError as exc:
        return UnreadableMail(where, f"unreadable: {exc.strerror or exc}")
    return check_content(where, raw, max_size)


def is_maildir(path: Path) -> bool:
    """Whether the folder is a Maildir (it has cur/ or new/)."""
    return any((path / name).is_dir() for name in MAILDIR_SUBDIRS)


def _maildir_files(folder: Path) -> list[Path]:
    """The message files of one Maildir folder (cur/ and new/; tmp/ holds unfinished deliveries)."""
    found: list[Path] = []
    for name in MAILDIR_SUBDIRS:
        sub = folder / name
        if sub.is_dir():
            with os.scandir(sub) as entries:
                found.extend(Path(e.path) for e in entries if not e.name.startswith(".") and e.is_file())
    return sorted(found, key=lambda p: p.name)  # Maildir names start with the delivery time


def _maildirplus_folders(root: Path) -> list[Path]:
    """The Maildir++ subfolders (".Sent", ".Archive.2020", ...) of a Maildir root."""
    with os.scandir(root) as entries:
        names = sorted(e.name for e in entries if e.name.startswith(".") and e.name not in (".", ".."))
    return [root / name for name in names if is_maildir(root / name)]


class FileListSource:
    """Mails stored one per file; the file list is taken when the import starts."""

    unit = "files"

    def __init__(self, description: str, root: Path, files: list[Path], max_size: int) -> None:
        self._description = description
        self._root = root
        self._files = files
        self._max_size = max_size

    @property
    def description(self) -> str:
        """What is read."""
        return f"{self._description} ({len(self._files)} files)"

    @property
    def total(self) -> int:
        """The number of files."""
        return len(self._files)

    def __iter__(self) -> Iterator[SourceItem]:
        """Each file's mail in order, read one at a time."""
        for path in self._files:
            where = str(path.relative_to(self._root)) if path != self._root else path.name
            yield read_mail_file(path, where, self._max_size)


def maildir_source(root: Path, max_size: int, subfolders: bool = False) -> FileListSource:
    """A Maildir's cur/ and new/, and with `subfolders` also those of its Maildir++ folders."""
    folders = [root, *(_maildirplus_folders(root) if subfolders else [])]
    files = [path for folder in folders for path in _maildir_files(folder)]
    label = f"Maildir {root}" + (f" with {len(folders) - 1} Maildir++ folders" if subfolders else "")
    return FileListSource(label, root, files, max_size)


def eml_folder_source(root: Path, max_size: int) -> FileListSource:
    """Every *.eml file under the folder (subfolders included), in path order."""
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() == ".eml" and p.is_file())
    return FileListSource(f"folder of .eml files {root}", root, files, max_size)


def single_file_source(path: Path, max_size: int) -> FileListSource:
    """One file holding one mail."""
    return FileListSource(f"mail file {path}", path, [path], max_size)
