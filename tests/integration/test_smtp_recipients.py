"""The listener's recipient policy, limits and STARTTLS, with smtplib and with swaks."""

from __future__ import annotations

import os
import shutil
import smtplib
import ssl
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, select

from mailgate.cli import cli
from mailgate.database import session_factory
from mailgate.intake import Intake
from mailgate.recipients import RecipientPolicy
from mailgate.smtp import ListenerConfig
from mailgate.tokens import issue_reply_address
from schema import InboundMail
from tests.integration.test_smtp_listener import listener, mail

SECRET = "listener-secret"


@pytest.fixture(scope="module")
def policy(engine: Engine, migrated_url: str) -> RecipientPolicy:
    result = CliRunner().invoke(
        cli,
        ["address", "add", "Support@Example.org", "--queue", "Misc"],
        env={"MAILGATE_DATABASE_URL": migrated_url},
    )
    assert result.exit_code == 0, result.output
    return RecipientPolicy(session_factory(engine), SECRET)


@pytest.fixture
def port(engine: Engine, policy: RecipientPolicy) -> Iterator[int]:
    config = ListenerConfig(hostname="mx.test", max_recipients=3, recipients=policy)
    with listener(Intake(session_factory(engine)), config=config) as bound:
        yield bound


def rcpt(port: int, address: str) -> tuple[int, bytes]:
    with smtplib.SMTP("127.0.0.1", port) as client:
        client.ehlo()
        client.mail("jane@customer.example")
        return client.rcpt(address)


def test_system_address_plus_address_and_signed_reply_address_are_accepted(port: int) -> None:
    assert rcpt(port, "support@example.org")[0] == 250
    assert rcpt(port, "SUPPORT+billing@example.org")[0] == 250
    assert rcpt(port, issue_reply_address(SECRET, "support@example.org", 42))[0] == 250


def test_unknown_recipient_gets_550_at_rcpt_time(port: int) -> None:
    code, reply = rcpt(port, "nobody@example.org")
    assert code == 550 and reply.startswith(b"5.1.1")
    forged = issue_reply_address("another-secret", "nobody@example.org", 42)
    assert rcpt(port, forged)[0] == 550


def test_too_many_recipients(port: int) -> None:
    with smtplib.SMTP("127.0.0.1", port) as client:
        client.ehlo()
        client.mail("jane@customer.example")
        codes = [client.rcpt(f"support+{n}@example.org")[0] for n in range(4)]
    assert codes == [250, 250, 250, 452]


def test_swaks_delivers_and_is_stored(port: int, engine: Engine) -> None:
    swaks = shutil.which("swaks")
    if swaks is None:
        if os.environ.get("CI") == "true":
            pytest.fail("swaks is required under CI=true (Debian package swaks)")
        pytest.skip("swaks is not installed")
    tag = uuid.uuid4().hex
    proc = subprocess.run(
        [
            swaks,
            "--server",
            "127.0.0.1",
            "--port",
            str(port),
            "--from",
            "jane@customer.example",
            "--to",
            "support@example.org",
            "--body",
            f"swaks test {tag}",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "250 2.0.0 Ok: queued as" in proc.stdout
    queued_as = int(proc.stdout.split("queued as ")[1].split()[0])
    with session_factory(engine)() as session:
        row = session.get_one(InboundMail, queued_as)
    assert f"swaks test {tag}".encode() in row.raw and row.source == "smtp"


def test_starttls_when_a_certificate_is_configured(engine: Engine, tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=mx.test",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    tag = uuid.uuid4().hex
    config = ListenerConfig(hostname="mx.test", tls_context=context)
    with (
        listener(Intake(session_factory(engine)), config=config) as bound,
        smtplib.SMTP("127.0.0.1", bound) as c,
    ):
        c.ehlo()
        assert c.has_extn("starttls")
        client_context = ssl.create_default_context(cafile=str(cert))
        client_context.check_hostname = False
        c.starttls(context=client_context)
        c.ehlo()
        c.sendmail("jane@customer.example", ["support@example.org"], mail(tag))
    with session_factory(engine)() as session:
        assert session.scalars(
            select(InboundMail).where(InboundMail.message_id == f"{tag}@example.com")
        ).one()


def test_cached_verdicts_need_no_database_and_expire(engine: Engine, policy: RecipientPolicy) -> None:
    """The listener answers RCPT on the event loop only from a fresh cache; a stale one goes to a thread."""
    now = [1000.0]
    fresh = RecipientPolicy(session_factory(engine), SECRET, clock=lambda: now[0])
    assert fresh.check_cached("support@example.org") is None  # nothing loaded yet
    assert fresh.check("support@example.org").accepted
    cached = fresh.check_cached("support+x@example.org")
    assert cached is not None and cached.accepted
    unknown = fresh.check_cached("nobody@example.org")
    assert unknown is not None and not unknown.accepted
    now[0] += 11  # past CACHE_SECONDS: a new address added meanwhile must be seen
    assert fresh.check_cached("support@example.org") is None
    anyone = RecipientPolicy(session_factory(engine), SECRET, accept_any=True)
    verdict = anyone.check_cached("nobody@example.org")
    assert verdict is not None and verdict.accepted
