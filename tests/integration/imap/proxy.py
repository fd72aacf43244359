"""A TCP proxy on loopback that can cut a connection after a number of server-to-client bytes."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field


@dataclass
class CuttingProxy:
    """Forwards 127.0.0.1:port to a target; the first `cuts` connections end after `cut_after` bytes."""

    target_port: int
    cut_after: int
    cuts: int = 1
    port: int = 0
    cut_done: int = 0
    connections: int = 0
    _server: asyncio.Server | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        limit = self.cut_after if self.cut_done < self.cuts else None
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        upstream = asyncio.create_task(self._pipe(reader, up_writer, None))
        downstream = asyncio.create_task(self._pipe(up_reader, writer, limit))
        for task in (upstream, downstream):
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        await asyncio.wait({upstream, downstream}, return_when=asyncio.FIRST_COMPLETED)
        for task in (upstream, downstream):
            task.cancel()
        for stream in (writer, up_writer):
            with contextlib.suppress(Exception):
                stream.transport.abort()

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, limit: int | None
    ) -> None:
        sent = 0
        while True:
            data = await reader.read(65536)
            if not data:
                return
            if limit is not None and sent + len(data) >= limit:
                writer.write(data[: max(0, limit - sent)])
                with contextlib.suppress(Exception):
                    await writer.drain()
                self.cut_done += 1
                return
            writer.write(data)
            await writer.drain()
            sent += len(data)
