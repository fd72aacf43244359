"""Group commit: one writer thread stores what many concurrent callers hand it, one transaction a round."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

Item = TypeVar("Item")
Result = TypeVar("Result")
MAX_BATCH = 64


@dataclass(slots=True)
class BatchStats:
    """How many batches the writer committed and how large the largest was (for tests and benchmarks)."""

    batches: int = 0
    items: int = 0
    largest: int = 0
    sizes: dict[int, int] = field(default_factory=dict)

    def record(self, size: int) -> None:
        """Count one batch of `size` items."""
        self.batches += 1
        self.items += size
        self.largest = max(self.largest, size)
        self.sizes[size] = self.sizes.get(size, 0) + 1


@dataclass(slots=True)
class _Pending(Generic[Item, Result]):
    item: Item
    future: Future[Result]


class GroupCommitter(Generic[Item, Result]):
    """Hands every waiting item to `store` at once, on one thread; each caller waits on its own future.

    `store(items)` returns one outcome per item, a result or an exception; an exception it raises
    itself fails the whole batch. While a batch is being stored the next one gathers, so the batch
    size follows the load: one item when idle, up to max_batch items (or items weighing max_weight,
    e.g. bytes) under many concurrent callers.
    `after(items, outcomes)` runs once the futures are answered (e.g. to queue the stored mails).
    """

    def __init__(
        self,
        store: Callable[[Sequence[Item]], Sequence[Result | Exception]],
        after: Callable[[Sequence[Item], Sequence[Result | Exception]], None] | None = None,
        *,
        max_batch: int = MAX_BATCH,
        weigh: Callable[[Item], int] | None = None,
        max_weight: int = 0,
        name: str = "group-commit",
    ) -> None:
        self._store = store
        self._after = after
        self._max_batch = max_batch
        self._weigh = weigh
        self._max_weight = max_weight
        self._name = name
        self._queue: queue.SimpleQueue[list[_Pending[Item, Result]] | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._in_flight = 0
        self.stats = BatchStats()

    @property
    def waiting(self) -> int:
        """How many items are handed in and not yet answered: queued or in the batch being stored."""
        return self._queue.qsize() + self._in_flight

    def submit(self, item: Item) -> Future[Result]:
        """Queue the item for the next batch; the future resolves once its batch is stored (or failed)."""
        return self.submit_all([item])[0]

    def submit_all(self, items: Sequence[Item]) -> list[Future[Result]]:
        """Queue the items to be stored together, in the same batch; one future per item."""
        group = [_Pending(item, Future[Result]()) for item in items]
        with self._lock:
            if self._closed:
                raise RuntimeError(f"{self._name} is closed")
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            self._queue.put(group)
        return [pending.future for pending in group]

    def close(self, timeout: float | None = 30) -> None:
        """Store what is queued, then stop the writer thread."""
        with self._lock:
            self._closed = True
            thread = self._thread
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout)

    def _run(self) -> None:
        while True:
            batch, stop = self._gather(self._queue.get())
            if batch:
                self._write(batch)
            if stop:
                return

    def _gather(
        self, first: list[_Pending[Item, Result]] | None
    ) -> tuple[list[_Pending[Item, Result]], bool]:
        """The first waiting group and others already queued (up to the limits); True once told to stop."""
        batch: list[_Pending[Item, Result]] = []
        weight = 0
        group = first
        while True:
            if group is None:
                return batch, True
            # a caller that gave up (its future cancelled) is not stored
            batch.extend(pending for pending in group if pending.future.set_running_or_notify_cancel())
            if self._weigh is not None:
                weight += sum(self._weigh(pending.item) for pending in group)
            if len(batch) >= self._max_batch or (self._weigh is not None and weight >= self._max_weight):
                return batch, False
            try:
                group = self._queue.get_nowait()
            except queue.Empty:
                return batch, False

    def _write(self, batch: list[_Pending[Item, Result]]) -> None:
        items = [pending.item for pending in batch]
        self._in_flight = len(batch)
        try:
            outcomes = self._store(items)
        except Exception as exc:  # the whole batch failed: every caller hears of it
            log.warning("%s: a batch of %d failed: %s", self._name, len(batch), exc)
            outcomes = [exc] * len(batch)
        self.stats.record(len(batch))
        self._in_flight = 0
        for pending, outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, Exception):
                pending.future.set_exception(outcome)
            else:
                pending.future.set_result(outcome)
        if self._after is not None:
            try:
                self._after(items, outcomes)
            except Exception:
                log.warning("%s: after-store hook failed", self._name, exc_info=True)
