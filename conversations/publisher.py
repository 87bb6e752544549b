"""Pushes from sync code (API views, Celery tasks) to a Redis channel layer,
sent in order without the caller waiting for them.

channels_redis keeps its connections per event loop, so one loop per process on
its own thread does all the publishing: a fresh loop per push (what
``async_to_sync`` does outside a server) would connect to Redis every time.
The caller only queues: waiting for each PUBLISH held a delivery thread for
two round trips per send, a sixth of the worker's wall time (bench/outbound.py
with PROFILE_WALL=1). One coroutine sends the queue in order, so every push of
a process reaches Redis in the order it was made, as before.

Pushes are best effort (the database is the truth; browsers resync over REST):
past ``QUEUE_LIMIT`` waiting, while Redis is away, new ones are dropped and
logged rather than held in memory without end. Before the process exits,
``flush`` waits for what is queued.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
import threading
from typing import Any

logger = logging.getLogger(__name__)

PUBLISH_TIMEOUT_SECONDS = 5.0
QUEUE_LIMIT = 10_000


class Publisher:
    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        # Bound to the loop at its first use, on the loop's thread.
        self._queue: asyncio.Queue[tuple[Any, str, dict[str, Any]]] = asyncio.Queue()
        self._waiting = 0
        self._idle = threading.Condition()
        ready = threading.Event()
        threading.Thread(
            target=self._run, args=(ready,), name="realtime-publisher", daemon=True
        ).start()
        ready.wait()

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.create_task(self._drain())
        self._loop.call_soon(ready.set)
        self._loop.run_forever()

    def submit(self, layer: Any, group: str, message: dict[str, Any]) -> None:
        with self._idle:
            if self._waiting >= QUEUE_LIMIT:
                logger.error("realtime.push_dropped", extra={"group": group})
                return
            self._waiting += 1
        self._loop.call_soon_threadsafe(self._queue.put_nowait, (layer, group, message))

    async def _drain(self) -> None:
        while True:
            layer, group, message = await self._queue.get()
            try:
                await asyncio.wait_for(
                    layer.group_send(group, message), PUBLISH_TIMEOUT_SECONDS
                )
            except Exception:
                logger.exception("realtime.push_failed", extra={"group": group})
            finally:
                with self._idle:
                    self._waiting -= 1
                    if not self._waiting:
                        self._idle.notify_all()

    def flush(self, timeout: float) -> bool:
        """Wait until every queued push was sent (or failed); False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: not self._waiting, timeout)


_publisher: Publisher | None = None
_publisher_pid = 0
_lock = threading.Lock()


def publisher() -> Publisher:
    """This process's publisher (a forked child makes its own)."""
    global _publisher, _publisher_pid
    with _lock:
        if _publisher is None or _publisher_pid != os.getpid():
            _publisher, _publisher_pid = Publisher(), os.getpid()
        return _publisher


def flush(timeout: float = PUBLISH_TIMEOUT_SECONDS) -> bool:
    """Wait for this process's queued pushes, if it has made any."""
    current = _publisher
    if current is None or _publisher_pid != os.getpid():
        return True
    return current.flush(timeout)


atexit.register(flush)
