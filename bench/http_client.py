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
        self.writer.write(head + body)
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("the server closed the connection")
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
        connection = self.idle.pop() if self.idle else None
        if connection is None:
            reader, writer = await asyncio.open_connection(self.host, self.port)
            connection = Connection(reader, writer)
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
