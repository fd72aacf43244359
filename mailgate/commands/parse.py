"""`mailgate parse --jsonl FILE...`: print each mail in the parse contract's JSON form."""

from __future__ import annotations

import json

import click


@click.command()
@click.option("--jsonl", is_flag=True, default=True, help="One JSON object per line (the only format).")
@click.argument("files", nargs=-1, type=click.Path())
def parse(jsonl: bool, files: tuple[str, ...]) -> None:
    """Parse mail files and print one JSON line per file (see CONTRACT.md)."""
    from mailgate.logconfig import quiet_noisy_libraries
    from parsers import parse as parse_mail
    from parsers.contract import failure, to_contract

    quiet_noisy_libraries()
    for path in files:
        try:
            with open(path, "rb") as handle:
                raw = handle.read()
        except OSError as error:
            record = failure(path, f"cannot read file: {error.strerror or error}")
        else:
            record = to_contract(parse_mail(raw), path)
        # bytes, so that no odd character in a mail can stop the output
        click.echo(json.dumps(record, ensure_ascii=False).encode("utf-8", "replace"))
