"""The in-process side of `mailgate run`: processing threads (or a Dramatiq worker) and a periodic sweeper."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import dramatiq

from mailgate.outbound.outbox import dispatch_after_commit
from mailgate.services import Services, build_processor
from mailgate.workers.actors import INBOUND_QUEUE, declare_actors, redis_broker
from mailgate.workers.dispatch import Dispatcher, ThreadDispatcher
from mailgate.workers.plugins import SendOutbound, load_outbound_plugin
from mailgate.workers.sweeper import Sweeper

log = logging.getLogger(__name__)

SWEEP_EVERY_SECONDS = 15.0


@contextlib.contextmanager
def in_process_workers(services: Services, threads: int = 2) -> Iterator[Dispatcher]:
    """Process spooled mail inside this process while the context is open; yields the dispatcher."""
    processor = build_processor(services)
    outbound = load_outbound_plugin()  # the notifier, found by entry point (mailgate never imports it)
    send: SendOutbound | None = None
    with contextlib.ExitStack() as stack:
        if services.settings.broker_url:
            broker = redis_broker(services.settings.broker_url)
            stack.callback(broker.close)
            dispatcher: Dispatcher = declare_actors(broker, lambda: processor)
            queues = {INBOUND_QUEUE}
            if outbound is not None:
                send = outbound.declare(broker, services)
                queues.add(outbound.queue)
            worker = dramatiq.Worker(broker, queues=queues, worker_threads=threads)
            worker.start()
            stack.callback(worker.stop)
        else:
            executor = stack.enter_context(ThreadPoolExecutor(threads, thread_name_prefix="process"))
            dispatcher = ThreadDispatcher(processor, executor)
            if outbound is not None:
                senders = stack.enter_context(ThreadPoolExecutor(threads, thread_name_prefix="send"))
                send = _on_threads(senders, outbound.runner(services))
        if send is not None:
            stack.callback(dispatch_after_commit(services.sessions, send))
        stop = threading.Event()
        sweeper = threading.Thread(
            target=_sweep_loop,
            args=(Sweeper(services.sessions, dispatcher, send_outbound=send), stop),
            name="sweeper",
            daemon=True,
        )
        sweeper.start()
        stack.callback(sweeper.join, 10)
        stack.callback(stop.set)
        services.intake.on_stored(dispatcher.enqueue_inbound)
        stack.callback(services.intake.on_stored, None)
        yield dispatcher


def _on_threads(executor: ThreadPoolExecutor, run: SendOutbound) -> SendOutbound:
    """Queue outbox ids to run on the executor's threads."""

    def submit(outbox_id: int) -> None:
        executor.submit(run, outbox_id)

    return submit


def _sweep_loop(sweeper: Sweeper, stop: threading.Event) -> None:
    """Sweep at once (everything waiting from before the start), then every SWEEP_EVERY_SECONDS."""
    everything = True
    while True:
        try:
            sweeper.sweep(everything_waiting=everything)
            everything = False
        except Exception:
            log.exception("sweep failed; trying again later")
        if stop.wait(SWEEP_EVERY_SECONDS):
            return
