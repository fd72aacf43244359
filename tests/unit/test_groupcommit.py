"""GroupCommitter: batches what waits, answers every caller after its batch, keeps failures to their batch."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import CancelledError

import pytest

from mailgate.groupcommit import GroupCommitter


class GatedStore:
    """A store that records its batches and, while the gate is shut, holds the writer inside a batch."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.gate = threading.Event()
        self.entered = threading.Event()

    def __call__(self, items: Sequence[int]) -> list[int | Exception]:
        self.entered.set()
        assert self.gate.wait(10)
        self.batches.append(list(items))
        return [ValueError(f"odd {item}") if item % 2 else item * 10 for item in items]


def test_callers_waiting_during_a_batch_share_the_next_one() -> None:
    store = GatedStore()
    writer: GroupCommitter[int, int] = GroupCommitter(store)
    first = writer.submit(0)
    assert store.entered.wait(10)  # the writer is inside the first batch
    waiting = [writer.submit(n) for n in (2, 4, 6)]
    assert not any(future.done() for future in [first, *waiting])  # nobody is answered before the store
    store.gate.set()
    assert [future.result(10) for future in [first, *waiting]] == [0, 20, 40, 60]
    writer.close()
    assert store.batches == [[0], [2, 4, 6]]
    assert (writer.stats.batches, writer.stats.largest, writer.stats.items) == (2, 3, 4)


def test_each_item_gets_its_own_outcome() -> None:
    store = GatedStore()
    store.gate.set()
    writer: GroupCommitter[int, int] = GroupCommitter(store)
    good, bad = writer.submit_all([8, 3])
    assert good.result(10) == 80
    with pytest.raises(ValueError, match="odd 3"):
        bad.result(10)
    writer.close()
    assert store.batches == [[8, 3]]


def test_a_store_that_raises_fails_its_batch_only() -> None:
    calls: list[list[int]] = []

    def store(items: Sequence[int]) -> list[int | Exception]:
        calls.append(list(items))
        if 13 in items:
            raise ConnectionError("database gone")
        return list(items)

    writer: GroupCommitter[int, int] = GroupCommitter(store)
    doomed = writer.submit_all([1, 13])
    assert all(isinstance(future.exception(10), ConnectionError) for future in doomed)
    assert writer.submit(2).result(10) == 2
    writer.close()
    assert calls == [[1, 13], [2]]


def test_max_batch_and_cancelled_callers() -> None:
    store = GatedStore()
    writer: GroupCommitter[int, int] = GroupCommitter(store, max_batch=2)
    writer.submit(0)
    assert store.entered.wait(10)
    futures = writer.submit_all([2]) + writer.submit_all([4]) + writer.submit_all([6])
    assert futures[1].cancel()  # its caller gave up while waiting: never stored
    store.gate.set()
    assert futures[0].result(10) == 20 and futures[2].result(10) == 60
    with pytest.raises(CancelledError):
        futures[1].result(0)
    writer.close()
    assert store.batches == [[0], [2, 6]]


def test_close_stores_what_is_queued_and_refuses_more() -> None:
    store = GatedStore()
    writer: GroupCommitter[int, int] = GroupCommitter(store)
    writer.submit(0)
    assert store.entered.wait(10)
    queued = writer.submit(2)
    store.gate.set()
    writer.close()
    assert queued.done() and queued.result() == 20
    with pytest.raises(RuntimeError):
        writer.submit(4)


def test_a_batch_stops_growing_at_max_weight() -> None:
    store = GatedStore()
    writer: GroupCommitter[int, int] = GroupCommitter(store, weigh=lambda item: item, max_weight=10)
    writer.submit(0)
    assert store.entered.wait(10)
    futures = [writer.submit(n) for n in (4, 6, 2, 8, 12, 2)]
    store.gate.set()
    assert [future.result(10) for future in futures] == [40, 60, 20, 80, 120, 20]
    writer.close()
    assert store.batches == [[0], [4, 6], [2, 8], [12], [2]]
