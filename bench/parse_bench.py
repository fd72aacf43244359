"""Parser benchmark: mails/s beside bare stdlib parsing, and peak memory on a 25 MB mail.

Run from the repository root:  .venv/bin/python bench/parse_bench.py [--corpus DIR] [--seconds N]
"""

from __future__ import annotations

import argparse
import email
import email.policy
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
WORDS = [
    "der",
    "die",
    "das",
    "und",
    "helpdesk",
    "ticket",
    "invoice",
    "Grüße",
    "bitte",
    "order",
    "status",
    "printer",
    "broken",
    "sehr",
]


def _words(count: int, seed: int) -> str:
    rng = random.Random(seed)
    lines = []
    for _ in range(max(1, count // 12)):
        lines.append(" ".join(rng.choice(WORDS) for _ in range(12)))
    return "\n".join(lines)


def _headers(message: MIMEMultipart, subject: str) -> None:
    message["From"] = '"Jane Doe" <jane@example.com>'
    message["To"] = "support@example.org, =?utf-8?q?J=C3=BCrgen?= <j@example.org>"
    message["Subject"] = subject
    message["Date"] = "Wed, 25 Nov 2026 10:00:00 +0100"
    message["Message-ID"] = "<bench-1@example.com>"


def small_multipart() -> bytes:
    """About 5 KB: multipart/alternative with text and HTML."""
    message = MIMEMultipart("alternative")
    _headers(message, "Printer on the 3rd floor")
    text = _words(260, 1)
    message.attach(MIMEText(text, "plain", "utf-8"))
    html = "<html><body>" + "".join(f"<p>{line}</p>" for line in text.splitlines()) + "</body></html>"
    message.attach(MIMEText(html, "html", "utf-8"))
    return message.as_bytes()


def mail_with_attachment(attachment_size: int) -> bytes:
    """A short text mail with one binary attachment of the given size."""
    message = MIMEMultipart("mixed")
    _headers(message, "Invoice attached")
    message.attach(MIMEText(_words(100, 2), "plain", "utf-8"))
    part = MIMEApplication(random.Random(3).randbytes(attachment_size), "pdf")
    part.add_header("Content-Disposition", "attachment", filename="invoice.pdf")
    message.attach(part)
    return message.as_bytes()


def rate(function: Callable[[bytes], object], mails: list[bytes], seconds: float) -> float:
    """Mails per second over repeated passes for at least `seconds`."""
    done = 0
    began = time.perf_counter()
    while True:
        for raw in mails:
            function(raw)
        done += len(mails)
        spent = time.perf_counter() - began
        if spent >= seconds:
            return done / spent


def bare(raw: bytes) -> object:
    try:  # the stdlib's default policy raises on some real-world mails
        return email.message_from_bytes(raw, policy=email.policy.default)
    except Exception:
        return None


def corpus_mails(folder: Path) -> list[bytes]:
    mails = []
    for path in sorted(folder.rglob("*")):
        skip = path.suffix in (".yml", ".json", ".py", ".md") or path.name in ("SOURCE.txt", "LICENSE")
        if path.is_file() and not skip and path.stat().st_size < 8 << 20:
            mails.append(path.read_bytes())
    return mails


def compare(label: str, mails: list[bytes], seconds: float) -> None:
    from parsers import parse

    ours = rate(parse, mails, seconds)
    stdlib = rate(bare, mails, seconds)
    print(f"{label:38} parse {ours:9.1f} mails/s   stdlib {stdlib:9.1f} mails/s   ratio {ours / stdlib:5.2f}")


MEMORY_PROBE = """
import sys, tracemalloc
sys.path[:0] = [{root!r}, {bench!r}]
from parse_bench import mail_with_attachment
raw = mail_with_attachment(20 * 1024 * 1024)
from parsers import parse
parse(b"From: a@b.c\\n\\nwarm up\\n")
tracemalloc.start()
result = parse(raw)
peak = tracemalloc.get_traced_memory()[1]
assert result.attachments and result.attachments[0].size == 20 * 1024 * 1024
print(len(raw), peak)
"""


def memory() -> None:
    """Peak traced memory of parse() on a ~27 MB mail with a 20 MB attachment, in a fresh process."""
    probe = MEMORY_PROBE.format(root=str(ROOT), bench=str(ROOT / "bench"))
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    size, peak = (int(x) for x in out.stdout.split())
    print(
        f"{'25 MB mail, 20 MB attachment':38} mail {size / 1e6:.1f} MB   peak {peak / 1e6:.1f} MB"
        f"   = {peak / size:.2f}x the mail (target < 5x)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    small = small_multipart()
    large = mail_with_attachment(150 * 1024)
    compare(f"5 KB multipart ({len(small)} bytes)", [small], args.seconds)
    compare(f"200 KB with attachment ({len(large)} bytes)", [large], args.seconds)
    if args.corpus.is_dir():
        mails = corpus_mails(args.corpus)
        compare(f"public corpus ({len(mails)} mails)", mails, args.seconds)
    memory()
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
