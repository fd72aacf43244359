"""Which kind of mail source a path is: mbox, Maildir, folder of .eml files, or one mail file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mailgate.errors import MailgateError
from mailgate.importer.files import eml_folder_source, is_maildir, maildir_source, single_file_source
from mailgate.importer.items import MailSource
from mailgate.importer.mbox import FromQuoting, MboxSource, looks_like_mbox


class ImportSourceError(MailgateError):
    """The import path does not exist or cannot be read as a mail source."""


@dataclass(frozen=True, slots=True)
class SourceOptions:
    """How to read a source: size limit, mbox quoting style, whether to descend into Maildir++ folders."""

    max_size: int
    quoting: FromQuoting = FromQuoting.MBOXRD
    maildir_subfolders: bool = False


def open_source(path: Path, options: SourceOptions) -> MailSource:
    """The mail source at `path`, detected from what is there."""
    try:
        if path.is_dir():
            if is_maildir(path):
                return maildir_source(path, options.max_size, options.maildir_subfolders)
            return eml_folder_source(path, options.max_size)
        if path.is_file():
            if looks_like_mbox(path):
                return MboxSource(path, options.max_size, options.quoting)
            return single_file_source(path, options.max_size)
    except OSError as exc:
        raise ImportSourceError(f"cannot read {path}: {exc.strerror or exc}") from exc
    raise ImportSourceError(f"{path} is neither a file nor a folder")
