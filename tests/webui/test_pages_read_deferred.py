"""On SQLite, pages only read: they never wait for the intake or the pipeline holding the write lock."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import Engine, text

from tests.webui.support import Client, WebEnv

pytestmark = pytest.mark.integration


def test_a_page_does_not_wait_for_a_writer(web: WebEnv, client: Client, backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("PostgreSQL readers never wait for writers")
    queue = web.queue("deferred-pages", "Deferred pages")
    login = web.agent({"deferred-pages": "rw"})
    assert client.login(*login).status_code == 302
    engine = web.services.sessions.kw["bind"]
    assert isinstance(engine, Engine)
    holding, done = threading.Event(), threading.Event()

    def write() -> None:  # another thread holds SQLite's write lock, as a pipeline batch does
        with engine.begin() as writer:
            writer.execute(text("UPDATE queue SET comments = 'busy' WHERE id = :id"), {"id": queue})
            holding.set()
            done.wait(60)

    thread = threading.Thread(target=write)
    thread.start()
    try:
        assert holding.wait(10)
        began = time.monotonic()
        overview = client.get("/")
        listing = client.get("/tickets", query_string={"queue": queue})
        waited = time.monotonic() - began
    finally:
        done.set()
        thread.join()
    assert overview.status_code == 200 and listing.status_code == 200
    assert waited < 5, f"pages waited {waited:.1f} s for the writer"
