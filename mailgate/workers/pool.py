"""`mailgate worker`: Dramatiq worker processes on Redis, plus the sweeper in the parent process."""

from __future__ import annotations

import logging
import multiprocessing
import signal
import threading
from multiprocessing.synchronize import Event as ProcessEvent

import dramatiq

from mailgate.logconfig import configure_logging
from mailgate.outbound.outbox import dispatch_after_commit
from mailgate.pipeline.process import InboundProcessor
from mailgate.services import build_processor, build_services
from mailgate.settings import Settings
from mailgate.workers.actors import INBOUND_QUEUE, declare_actors, redis_broker
from mailgate.workers.plugins import load_outbound_plugin
from mailgate.workers.sweeper import Sweeper

log = logging.getLogger(__name__)

SWEEP_EVERY_SECONDS = 15.0


def _worker_process(settings: Settings, threads: int, stop: ProcessEvent) -> None:
    """One worker process: its own services, broker and Dramatiq worker threads."""
    configure_logging(settings)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    services = build_services(settings)
    processor: list[InboundProcessor] = []

    def get_processor() -> InboundProcessor:
        if not processor:
            processor.append(build_processor(services))
        return processor[0]

    broker = redis_broker(settings.broker_url)
    declare_actors(broker, get_processor)
    queues = {INBOUND_QUEUE}
    outbound = load_outbound_plugin()  # the notifier's send_outbound, by entry point (never imported here)
    if outbound is not None:
        dispatch_after_commit(services.sessions, outbound.declare(broker, services))
        queues.add(outbound.queue)
    worker = dramatiq.Worker(broker, queues=queues, worker_threads=threads)
    worker.start()
    try:
        stop.wait()
    finally:
        worker.stop()
        broker.close()
        services.close()


def run_worker_pool(settings: Settings, processes: int, threads: int) -> None:
    """Start `processes` worker processes and sweep every few seconds until SIGINT or SIGTERM."""
    context = multiprocessing.get_context("spawn")
    stop = context.Event()
    children = [
        context.Process(target=_worker_process, args=(settings, threads, stop), name=f"mailgate-worker-{n}")
        for n in range(processes)
    ]
    for child in children:
        child.start()
    stopped = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopped.set())
    services = build_services(settings)
    broker = redis_broker(settings.broker_url)
    outbound = load_outbound_plugin()
    send = outbound.declare(broker, services) if outbound is not None else None
    sweeper = Sweeper(
        services.sessions, declare_actors(broker, lambda: build_processor(services)), send_outbound=send
    )
    try:
        sweeper.sweep(everything_waiting=True)
        while not stopped.wait(SWEEP_EVERY_SECONDS):
            sweeper.sweep()
    finally:
        stop.set()
        for child in children:
            child.join(30)
        broker.close()
        services.close()
