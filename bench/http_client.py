"""The load generators' HTTP client: keep-alive HTTP/1.1 on asyncio streams.

httpx cost the paced benchmark about 8 ms of CPU per request once answers
slowed (its pool works through its queue of waiting requests on every
request), saturating the client's core at 100 requests/s while the server
idled at a third of one: the benchmark measured itself. This client does what
the benchmarks need and no more: POST a prepared body on an idle connection
(opening one when none is idle) and read the status and the body back.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader, self.writer = reader, writer

    async def post(self, head: bytes, body: bytes) -> int:
        if self.reader.at_eof():
            raise _Stale()
        self.writer.write(head + body)
        status_line = await self.reader.readline()
        if not status_line:
            raise _Stale()
        status = int(status_line.split()[1])
        length = 0
        keep_alive = True
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                keep_alive = False
        if length:
            await self.reader.readexactly(length)
        if not keep_alive:
            raise _Closed(status)
        return status

    def close(self) -> None:
        self.writer.close()


class _Stale(ConnectionError):
    """The server had closed the connection: nothing of the answer arrived."""


class _Closed(Exception):
    def __init__(self, status: int) -> None:
        self.status = status


class Client:
    """A pool of keep-alive connections to one server."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.idle: list[Connection] = []

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> int:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
            + f"Content-Length: {len(body)}\r\n\r\n"
        ).encode("latin-1")
        while self.idle:
            connection = self.idle.pop()
            try:
                return await self._post(connection, head, body)
            except _Stale:
                # The server closed it while it sat idle (its keep-alive timeout)
                # before reading a byte of ours: send again on a fresh one.
                continue
        reader, writer = await asyncio.open_connection(self.host, self.port)
        return await self._post(Connection(reader, writer), head, body)

    async def _post(self, connection: Connection, head: bytes, body: bytes) -> int:
        try:
            status = await connection.post(head, body)
        except _Closed as closed:
            connection.close()
            return closed.status
        except BaseException:
            connection.close()
            raise
        self.idle.append(connection)
        return status

    def close(self) -> None:
        for connection in self.idle:
            connection.close()
        self.idle.clear()
