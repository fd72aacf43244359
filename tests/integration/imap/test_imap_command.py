"""`mailgate imap` as a process: SIGKILLed in the middle of a backlog, restarted, every mail spooled once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from mailgate.cli import cli
from mailgate.imap.state import ImapStateStore
from schema.imap_state import DEFAULT_PROCESSED_FOLDER, AfterFetch
from tests.integration.imap.conftest import Mailbox, make_mail

pytestmark = pytest.mark.timeout(120)
REPO = Path(__file__).resolve().parents[3]


def start_imap(url: str, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "MAILGATE_DATABASE_URL": url, "MAILGATE_LOG_LEVEL": "WARNING"}
    env.pop("MAILGATE_BROKER_URL", None)
    code = "from mailgate.cli import main; main()"
    return subprocess.Popen(
        [sys.executable, "-c", code, "imap", *args], env=env, cwd=REPO, stderr=subprocess.PIPE
    )


def wait_for(condition: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout}s")
        time.sleep(0.02)


def test_sigkill_mid_backlog_then_restart(mailbox: Mailbox, migrated_url: str) -> None:
    mails = [make_mail(n, "sigkill", body_size=2000) for n in range(600)]
    mailbox.server.write_maildir(mailbox.user, mails)
    account = str(mailbox.account.id)
    process = start_imap(migrated_url, "--account", account, "--batch", "50")
    try:
        wait_for(lambda: mailbox.spool_count() >= 120 or process.poll() is not None, 60)
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
    assert mailbox.spool_count() < 600, "the backlog was imported before the kill; make it bigger"
    assert mailbox.count("INBOX") > 0
    restarted = start_imap(migrated_url, "--account", account, "--once")
    _, err = restarted.communicate(timeout=90)
    assert restarted.returncode == 0, err.decode()
    rows = mailbox.spooled()
    assert Counter(row.imap_uid for row in rows).most_common(1)[0][1] == 1
    assert sorted(row.raw for row in rows) == sorted(mails)
    assert mailbox.count("INBOX") == 0
    assert mailbox.count(DEFAULT_PROCESSED_FOLDER) == 600


def test_set_after_fetch_is_stored_per_account(mailbox: Mailbox, migrated_url: str) -> None:
    runner = CliRunner()
    env = {"MAILGATE_DATABASE_URL": migrated_url}
    args = ["imap", "--account", str(mailbox.account.id), "--set-after-fetch", "seen"]
    result = runner.invoke(cli, args, env=env)
    assert result.exit_code == 0, result.output
    assert ImapStateStore(mailbox.sessions).load(mailbox.account.id).after_fetch is AfterFetch.SEEN
    mailbox.server.write_maildir(mailbox.user, [make_mail(1, "seen")])
    result = runner.invoke(cli, ["imap", "--account", str(mailbox.account.id), "--once"], env=env)
    assert result.exit_code == 0, result.output
    assert mailbox.spool_count() == 1
    assert mailbox.count("INBOX") == 1  # kept in place, flagged seen
    conn = mailbox.imap()
    conn.select("INBOX")
    assert conn.uid("SEARCH", "SEEN")[1][0].split() == [b"1"]
    conn.logout()
