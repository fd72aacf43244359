import json

from click.testing import CliRunner

from mailgate.cli import cli
from parsers import parse
from parsers.contract import to_contract
from tests.unit.parsers.parser_mails import mail

RAW = mail(
    'From: "Jane Doe" <jane@example.com>\nTo: b@example.com\nCc: c@example.com\nReply-To: r@example.com\n'
    "Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\nMessage-ID: <m1@example.com>\nIn-Reply-To: <p@example.com>\n"
    "Date: Wed, 25 Nov 2026 10:00:00 +0000\nContent-Type: text/plain; charset=utf-8",
    "Hello\n",
)
KEYS = {
    "path",
    "ok",
    "error",
    "message_id",
    "in_reply_to",
    "references",
    "date",
    "from",
    "reply_to",
    "to",
    "cc",
    "subject",
    "body",
    "attachments",
    "kind",
    "bounce",
    "defects",
}


def test_contract_has_every_key_in_the_documented_form():
    record = to_contract(parse(RAW), "x.eml")
    assert set(record) >= KEYS
    assert record["message_id"] == "m1@example.com" and record["in_reply_to"] == ["p@example.com"]
    assert record["from"] == {"email": "jane@example.com", "name": "Jane Doe"}
    assert record["date"] == "2026-11-25T10:00:00+00:00"
    assert record["subject"] == "Grüße" and record["body"] == {"text": "Hello\n", "html": None}
    assert record["kind"] == "normal" and record["bounce"] is None and record["ok"] is True
    json.dumps(record)


def test_cli_prints_one_json_line_per_file_and_reports_unreadable_files(tmp_path):
    good = tmp_path / "good.eml"
    good.write_bytes(RAW)
    missing = tmp_path / "missing.eml"
    result = CliRunner().invoke(cli, ["parse", "--jsonl", str(good), str(missing)])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.output.splitlines()]
    assert records[0]["path"] == str(good) and records[0]["ok"] is True
    assert records[1]["path"] == str(missing) and records[1]["ok"] is False and records[1]["error"]


def test_cli_reports_a_directory_as_unreadable_and_goes_on(tmp_path):
    good = tmp_path / "good.eml"
    good.write_bytes(RAW)
    result = CliRunner().invoke(cli, ["parse", "--jsonl", str(tmp_path), str(good)])
    assert result.exit_code == 0, result.output
    first, second = (json.loads(line) for line in result.output.splitlines())
    assert first["ok"] is False and second["ok"] is True
