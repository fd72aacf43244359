"""Batched sending: one claim, one SMTP connection, one mark per batch, and each row's outcome its own."""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mailgate.tickets.reply import reply
from notifier.article import ArticleRenderer
from notifier.render import RenderContext, RenderedMail, RendererRegistry, Suppress
from notifier.sender import OutboxSender
from schema import ArticleDataMime, OutboxMail, OutboxState
from tests.integration.notifier.send_support import FQDN, SECRET, Helpdesk, customer_mail, start_helpdesk

NOW = datetime(2026, 11, 25, 10, 0, 0)


@pytest.fixture
def desk(migrated_url: str) -> Iterator[Helpdesk]:
    helpdesk = start_helpdesk(migrated_url, NOW)
    with helpdesk.services.sessions.begin() as session:  # rows earlier tests of the module left waiting
        waiting = update(OutboxMail).where(OutboxMail.state.in_(("pending", "sending")))
        session.execute(waiting.values(state=OutboxState.SUPPRESSED.value))
    yield helpdesk
    helpdesk.close()


def _answers(desk: Helpdesk, customers: list[str]) -> list[int]:
    """One ticket per customer address and an agent's answer to it; the answers' outbox ids, in order."""
    ids = []
    for address in customers:
        processed = desk.deliver(customer_mail(sender=f"Customer <{address}>")[0])
        assert processed.ticket_id is not None
        with desk.services.sessions.begin() as session:
            result = reply(
                session, processed.ticket_id, 1, f"Answer to {address}", now=NOW, secret=SECRET, fqdn=FQDN
            )
        assert result.outbox_id is not None
        ids.append(result.outbox_id)
    return ids


def _received_ids(desk: Helpdesk) -> Counter[str]:
    return Counter(str(got.message["Message-ID"]) for got in desk.sink.received)


def _message_ids(desk: Helpdesk, ids: list[int]) -> Counter[str]:
    with desk.session() as session:
        found = session.scalars(select(OutboxMail.message_id).where(OutboxMail.id.in_(ids))).all()
    return Counter(str(value) for value in found)


def test_one_batch_fails_and_backs_off_only_the_refused_rows(desk: Helpdesk) -> None:
    desk.sink.refuse["gone@customer.example"] = "550 5.1.1 mailbox unavailable"
    desk.sink.refuse["busy@customer.example"] = "450 4.2.1 mailbox busy, try later"
    customers = ["a@customer.example", "gone@customer.example", "b@customer.example",
                 "busy@customer.example", "c@customer.example", "d@customer.example"]  # fmt: skip
    ids = _answers(desk, customers)
    good = [ids[0], ids[2], ids[4], ids[5]]
    gone, busy = ids[1], ids[3]

    states = desk.sender.send_due()  # one batch: every due row
    assert states == {
        **dict.fromkeys(good, OutboxState.SENT.value),
        gone: OutboxState.FAILED.value,
        busy: OutboxState.PENDING.value,
    }
    assert _received_ids(desk) == _message_ids(desk, good)  # each good row once, nothing else
    assert all(desk.row(row_id).attempts == 1 and desk.row(row_id).sent_time == NOW for row_id in good)
    failed = desk.row(gone)
    assert failed.last_smtp_code == 550 and "mailbox unavailable" in (failed.last_error or "")
    assert failed.ticket_id is not None
    assert [name for kind, name in desk.history(failed.ticket_id) if kind == "Misc"] != []
    waiting = desk.row(busy)
    assert waiting.last_smtp_code == 450 and waiting.next_attempt_at == NOW + timedelta(minutes=1)
    for row_id in good:
        assert desk.row(row_id).ticket_id is not None
        assert not [kind for kind, _ in desk.history(desk.row(row_id).ticket_id or 0) if kind == "Misc"]

    assert desk.sender.send_due() == {}  # nothing due: the sent rows stay sent, the busy one waits
    desk.sink.refuse.clear()
    desk.clock.advance(timedelta(minutes=1))
    assert desk.sender.send_due(good[0]) == {}  # a message for a row this sender finished: nothing to do
    assert desk.sender.send_due(busy) == {busy: OutboxState.SENT.value}  # the sweeper's message for it
    assert desk.row(busy).attempts == 2 and desk.row(gone).state == OutboxState.FAILED.value
    assert _received_ids(desk) == _message_ids(desk, [*good, busy])


def test_a_dropped_connection_mid_batch_retries_only_what_the_server_did_not_take(desk: Helpdesk) -> None:
    ids = _answers(desk, [f"c{n}@customer.example" for n in range(6)])
    desk.sink.drop_at = {3, 4}  # the third mail, and its retry on a fresh connection, are hung up on

    states = desk.sender.send_due()
    assert states == {
        ids[0]: OutboxState.SENT.value,
        ids[1]: OutboxState.SENT.value,
        **dict.fromkeys(ids[2:], OutboxState.PENDING.value),
    }
    assert _received_ids(desk) == _message_ids(desk, ids[:2])
    dropped = desk.row(ids[2])
    assert dropped.attempts == 1 and dropped.last_smtp_code is None and dropped.raw is not None
    for row_id in ids[3:]:  # never tried: no attempt counted, they wait as long as the dropped one
        untried = desk.row(row_id)
        assert untried.attempts == 0 and untried.next_attempt_at == NOW + timedelta(minutes=1)
    frozen = {row_id: desk.row(row_id).raw for row_id in ids}

    assert desk.sender.send_due() == {}  # not due yet
    desk.clock.advance(timedelta(minutes=1))
    assert desk.sender.send_due() == dict.fromkeys(ids[2:], OutboxState.SENT.value)
    received = _received_ids(desk)
    assert received == _message_ids(desk, ids) and set(received.values()) == {1}  # each mail exactly once
    assert [desk.row(row_id).attempts for row_id in ids] == [1, 1, 2, 1, 1, 1]
    assert {got.raw for got in desk.sink.received} == set(frozen.values())  # the bytes frozen the first time


def test_concurrent_senders_never_send_a_row_twice(desk: Helpdesk) -> None:
    ids = _answers(desk, [f"many{n}@customer.example" for n in range(24)])
    desk.sender.batch = 5
    errors: list[BaseException] = []

    def actor_thread(seed: int) -> None:
        order = list(ids)
        random.Random(seed).shuffle(order)
        try:
            for row_id in order:  # as Dramatiq threads would: every id handed to every thread
                desk.sender.send_due(row_id)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=actor_thread, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert {desk.row(row_id).state for row_id in ids} == {OutboxState.SENT.value}
    received = _received_ids(desk)
    assert received == _message_ids(desk, ids) and set(received.values()) == {1}
    assert {desk.row(row_id).attempts for row_id in ids} == {1}


def test_a_row_that_cannot_render_fails_alone(desk: Helpdesk) -> None:
    ids = _answers(desk, ["r1@customer.example", "r2@customer.example", "r3@customer.example"])
    with desk.services.sessions.begin() as session:
        broken = desk.row(ids[1]).article_id
        session.execute(
            update(ArticleDataMime).where(ArticleDataMime.article_id == broken).values(a_from=None)
        )
    assert desk.sender.send_batch(ids) == {
        ids[0]: OutboxState.SENT.value,
        ids[1]: OutboxState.FAILED.value,
        ids[2]: OutboxState.SENT.value,
    }
    assert _received_ids(desk) == _message_ids(desk, [ids[0], ids[2]])
    assert "cannot render" in (desk.row(ids[1]).last_error or "")


class _Breaks(ArticleRenderer):
    """The article renderer, except that one row raises what no renderer should (a bug, a database error)."""

    def __init__(self, broken: int) -> None:
        self.broken = broken

    def render(self, session: Session, row: OutboxMail, ctx: RenderContext) -> RenderedMail | Suppress:
        if row.id == self.broken:
            raise RuntimeError("renderer bug")
        return super().render(session, row, ctx)


def test_a_row_that_breaks_its_batch_is_set_aside_and_the_others_still_go(desk: Helpdesk) -> None:
    ids = _answers(desk, ["p1@customer.example", "p2@customer.example", "p3@customer.example"])
    registry = RendererRegistry()
    registry.register(_Breaks(ids[0]))
    sender = OutboxSender(desk.services.sessions, registry, desk.sender.ctx, desk.sender.transport)
    assert sender.send_due() == {
        ids[0]: OutboxState.PENDING.value,
        ids[1]: OutboxState.SENT.value,
        ids[2]: OutboxState.SENT.value,
    }
    broken = desk.row(ids[0])
    assert broken.attempts == 1 and broken.next_attempt_at == NOW + timedelta(minutes=1)
    assert "RuntimeError: renderer bug" in (broken.last_error or "")
    assert sender.send_due() == {}  # set aside: later batches are not held up by it
    assert _received_ids(desk) == _message_ids(desk, ids[1:])
