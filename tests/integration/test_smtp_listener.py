"""The SMTP/LMTP listener answers 250 only after the spool commit, 451 when the database is down."""

from __future__ import annotations

import asyncio
import smtplib
import socket
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import sessionmaker

from mailgate.database import create_engine_for, session_factory
from mailgate.intake import Intake
from mailgate.smtp import ListenerConfig, start_listener
from schema.spool import InboundMail
from tests.support.net import free_port


@contextmanager
def listener(
    intake: Intake, *, lmtp: bool = False, max_size: int = 1_000_000, config: ListenerConfig | None = None
) -> Iterator[int]:
    """Run start_listener on a free port in a background event loop; yields the port."""
    config = config or ListenerConfig(lmtp=lmtp, max_size=max_size, hostname="mx.test")
    port = free_port()
    loop = asyncio.new_event_loop()
    executor = ThreadPoolExecutor(4)
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    server = asyncio.run_coroutine_threadsafe(
        start_listener(intake, executor, f"127.0.0.1:{port}", config), loop
    ).result(10)
    try:
        yield port
    finally:
        loop.call_soon_threadsafe(server.close)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        executor.shutdown()


def mail(tag: str) -> bytes:
    return (
        f"From: jane@example.com\r\nTo: support@example.org\r\nSubject: {tag}\r\n"
        f"Message-ID: <{tag}@example.com>\r\n\r\nHello\r\n"
    ).encode()


def stored(engine: Engine, tag: str) -> list[InboundMail]:
    with session_factory(engine)() as session:
        return list(
            session.scalars(select(InboundMail).where(InboundMail.message_id == f"{tag}@example.com"))
        )


def test_smtp_250_after_commit(engine: Engine) -> None:
    tag = uuid.uuid4().hex
    with listener(Intake(session_factory(engine))) as port, smtplib.SMTP("127.0.0.1", port) as client:
        code, reply = client.ehlo()
        assert code == 250 and b"SIZE" in reply
        client.mail("jane@example.com")
        client.rcpt("support@example.org")
        code, reply = client.data(mail(tag))
    assert code == 250, reply
    rows = stored(engine, tag)
    assert len(rows) == 1
    assert rows[0].source == "smtp" and rows[0].envelope_sender == "jane@example.com"
    assert f"queued as {rows[0].id}".encode() in reply


def lmtp_exchange(port: int, commands: list[bytes], replies_after: dict[int, int]) -> list[bytes]:
    """Send LMTP commands over a raw socket; replies_after[i] = number of reply lines command i gets."""
    lines: list[bytes] = []
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock, sock.makefile("rb") as reader:
        lines.append(reader.readline())  # greeting
        for index, command in enumerate(commands):
            sock.sendall(command)
            for _ in range(replies_after.get(index, 1)):
                line = reader.readline()
                while line[3:4] == b"-":  # multi-line reply (LHLO)
                    line = reader.readline()
                lines.append(line)
    return lines


def test_lmtp_answers_per_recipient(engine: Engine) -> None:
    """RFC 2033: after DATA, one reply per accepted recipient (smtplib.LMTP cannot read these)."""
    tag = uuid.uuid4().hex
    commands = [
        b"LHLO client.test\r\n",
        b"MAIL FROM:<jane@example.com>\r\n",
        b"RCPT TO:<a@example.org>\r\n",
        b"RCPT TO:<b@example.org>\r\n",
        b"DATA\r\n",
        mail(tag) + b".\r\n",
        b"QUIT\r\n",
    ]
    with listener(Intake(session_factory(engine)), lmtp=True) as port:
        lines = lmtp_exchange(port, commands, {5: 2})
    data_replies = lines[6:8]
    assert all(line.startswith(b"250 ") for line in data_replies), lines
    assert lines[8].startswith(b"221")
    rows = stored(engine, tag)
    assert len(rows) == 1 and rows[0].source == "lmtp"


def test_oversized_mail_gets_552_and_is_not_stored(engine: Engine) -> None:
    tag = uuid.uuid4().hex
    big = mail(tag) + (b"x" * 70 + b"\r\n") * 30
    with (
        listener(Intake(session_factory(engine)), max_size=1000) as port,
        smtplib.SMTP("127.0.0.1", port) as c,
    ):
        c.ehlo()
        c.mail("jane@example.com")
        c.rcpt("support@example.org")
        code, _ = c.data(big)
    assert code == 552
    assert stored(engine, tag) == []


@pytest.mark.timeout(60)
def test_database_down_answers_451() -> None:
    dead = create_engine_for(
        "postgresql+psycopg://postgres@127.0.0.1:1/nowhere", connect_args={"connect_timeout": 2}
    )
    with listener(Intake(session_factory(dead))) as port, smtplib.SMTP("127.0.0.1", port) as client:
        client.ehlo()
        client.mail("jane@example.com")
        client.rcpt("support@example.org")
        code, reply = client.data(mail("down"))
    dead.dispose()
    assert code == 451
    assert reply.startswith(b"4.3.0")


def test_an_unexpected_error_answers_451_not_a_bouncing_500() -> None:
    unbound = Intake(sessionmaker())  # no engine: storing raises ConfigError, not StorageUnavailableError
    with listener(unbound) as port, smtplib.SMTP("127.0.0.1", port) as client:
        client.ehlo()
        client.mail("jane@example.com")
        client.rcpt("support@example.org")
        code, reply = client.data(mail("unexpected"))
    assert code == 451 and reply.startswith(b"4.3.0")
    unbound.close()


def test_over_long_lines_are_refused_and_nothing_is_stored(engine: Engine) -> None:
    """RFC 5321 4.5.3.1: a command line over 512 octets and a text line over 1000 octets are refused."""
    tag = uuid.uuid4().hex
    long_line = "x" * 2000
    raw = mail(tag).replace(b"Hello\r\n", long_line.encode() + b"\r\n")
    with listener(Intake(session_factory(engine))) as port, smtplib.SMTP("127.0.0.1", port) as client:
        client.ehlo()
        code, _ = client.docmd("MAIL", "FROM:<" + "a" * 600 + "@example.com>")
        assert code == 500
        client.mail("jane@example.com")
        client.rcpt("support@example.org")
        code, reply = client.data(raw)
    assert code == 500 and b"too long" in reply.lower()
    assert stored(engine, tag) == []
