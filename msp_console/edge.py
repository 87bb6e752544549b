"""ASGI middleware in front of Django: answers that must cost nothing.

- ``/healthz`` answers at once (no I/O, no host check, no log line), and
  ``/readyz`` checks PostgreSQL, Redis and migrations, for load balancers that
  probe by IP over plain HTTP.
- ``POST /message`` is answered here, without Django's middleware chain
  (sessions, CSRF, sign-in checks: none apply to Apple, and its sync members
  would hold a thread per webhook): refused without ``Authorization`` or over
  the size limit before a byte of the body is read, otherwise verified and
  stored by the same code as the Django view (``conversations.views``); every
  answer is counted, timed and logged.
- ``/metrics`` answers a token or an allowed address (``METRICS_*`` settings).
- Open agent sockets are counted.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.utils.datastructures import CaseInsensitiveMapping
from prometheus_client import CONTENT_TYPE_LATEST

from conversations import realtime
from conversations.views import (
    MAX_BODY_BYTES,
    WebhookAnswer,
    handle_at_edge,
    webhook_answer,
)

from . import metrics
from .access import logger as access_logger

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

WEBHOOK_PATH = "/message"
AGENT_SOCKET_PATH = "/ws/console/"


async def _answer(send: Send, status: int, body: dict[str, Any]) -> None:
    content = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(content)).encode()),
                (b"cache-control", b"no-store"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": content})


def _database_ready() -> str | None:
    from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
    from django.db.migrations.executor import MigrationExecutor

    connection = connections[DEFAULT_DB_ALIAS]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        if not _migrated.get("done"):
            executor = MigrationExecutor(connection)
            plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
            if plan:
                return "migrations"
            # Migrations only appear with new code, i.e. a new process.
            _migrated["done"] = True
    except (DatabaseError, OSError):
        return "database"
    finally:
        connection.close()
    return None


_migrated: dict[str, bool] = {}


async def _redis_ready() -> bool:
    if not settings.REDIS_URL:
        return True
    import redis.asyncio as redis

    client = redis.Redis.from_url(
        settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2
    )
    try:
        return bool(await client.ping())
    except (redis.RedisError, OSError):
        return False
    finally:
        await client.aclose()


async def readiness() -> dict[str, str]:
    checks = {"database": "ok", "redis": "ok", "migrations": "ok"}
    failed = await sync_to_async(_database_ready, thread_sensitive=False)()
    if failed == "database":
        checks["database"] = checks["migrations"] = "failed"
    elif failed == "migrations":
        checks["migrations"] = "pending"
    if not await _redis_ready():
        checks["redis"] = "failed"
    return checks


async def _lifespan(receive: Receive, send: Send) -> None:
    # Nothing to start or stop; answering keeps servers from logging that the
    # protocol is unsupported.
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


class _Disconnected:
    """The client went away before its body was in (b"" is a real body)."""


_DISCONNECTED = _Disconnected()


async def _read_body(receive: Receive) -> bytes | _Disconnected | None:
    """The whole body, or None past the limit. A chunked body has no length to
    check up front, so it is counted as it arrives; a client that went away
    leaves ``_DISCONNECTED``."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return _DISCONNECTED
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


def _webhook_body(answer: WebhookAnswer) -> dict[str, Any]:
    return {"error": answer.error} if answer.error else {}


def _log_webhook(status: int, started: float) -> None:
    access_logger.info(
        "http.request",
        extra={
            "method": "POST",
            "path": WEBHOOK_PATH,
            "status": status,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        },
    )


class EdgeMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            if path == "/healthz":
                await _answer(send, 200, {"status": "ok"})
                return
            if path == "/readyz":
                checks = await readiness()
                ready = all(value == "ok" for value in checks.values())
                status = "ok" if ready else "unavailable"
                await _answer(send, 200 if ready else 503, {"status": status, **checks})
                return
            if path == "/metrics":
                await self._metrics(scope, send)
                return
            if path == WEBHOOK_PATH:
                await self._webhook(scope, receive, send)
                return
        elif scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        elif scope["type"] == "websocket" and scope["path"] == AGENT_SOCKET_PATH:
            await self._agent_socket(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _metrics(self, scope: Scope, send: Send) -> None:
        headers = dict(scope["headers"])
        client = scope.get("client") or ("", 0)
        if not metrics.allowed(
            authorization=headers.get(b"authorization", b"").decode("latin-1"),
            client_ip=client[0],
        ):
            await _answer(send, 403, {"error": "metrics need a token"})
            return
        body = await sync_to_async(metrics.render, thread_sensitive=False)()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", CONTENT_TYPE_LATEST.encode()),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def _webhook(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        answered: dict[str, int] = {}

        async def counted_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                answered["status"] = message["status"]
                metrics.WEBHOOKS.labels(str(message["status"])).inc()
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                metrics.INBOUND_SECONDS.observe(time.perf_counter() - started)

        if scope["method"] == "POST":
            headers = dict(scope["headers"])
            if not headers.get(b"authorization"):
                await _answer(
                    counted_send, 401, {"error": "Authorization header missing"}
                )
                return
            length = headers.get(b"content-length")
            if length is not None and (
                not length.isdigit() or int(length) > MAX_BODY_BYTES
            ):
                await _answer(counted_send, 413, {"error": "body too large"})
                return
            disconnected = False

            async def read_body() -> bytes | None:
                nonlocal disconnected
                body = await _read_body(receive)
                if isinstance(body, _Disconnected):
                    disconnected = True
                    return None
                return body

            answer = await webhook_answer(
                CaseInsensitiveMapping(
                    {
                        k.decode("latin-1"): v.decode("latin-1")
                        for k, v in headers.items()
                    }
                ),
                read_body,
                handle=handle_at_edge,
            )
            if disconnected:
                return  # Nobody is left to answer.
            try:
                await _answer(counted_send, answer.status, _webhook_body(answer))
                _log_webhook(answer.status, started)
            finally:
                # Stored and committed: agents hear of it even if the answer
                # could not reach Apple.
                await realtime.send_collected(answer.pushes)
            return
        await self.app(scope, receive, counted_send)

    async def _agent_socket(self, scope: Scope, receive: Receive, send: Send) -> None:
        accepted = False

        async def counted_send(message: Message) -> None:
            nonlocal accepted
            if message["type"] == "websocket.accept" and not accepted:
                accepted = True
                metrics.AGENT_SOCKETS.inc()
            await send(message)

        try:
            await self.app(scope, receive, counted_send)
        finally:
            if accepted:
                metrics.AGENT_SOCKETS.dec()
