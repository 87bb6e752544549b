"""Celery's Redis transport, made to survive Redis going away under a busy worker.

When the broker connection drops while a task runs (acks_late), kombu closes the
channel and tries to put the task's unacked message back through a connection
it has already torn down: ``_connparams`` reads ``None.hostname`` and the
AttributeError escapes Celery's connection-error handling, so the worker exits
("Unrecoverable error") instead of reconnecting. Raising the transport's own
connection error there lets Celery treat it as what it is and reconnect; the
message is redelivered after the visibility timeout, and outbound deliveries
are recovered sooner by the sweeper (conversations.services.outbound).
"""

from __future__ import annotations

from typing import Any

from kombu.transport import redis as kombu_redis
from redis.exceptions import ConnectionError as RedisConnectionError


class Channel(kombu_redis.Channel):
    def _connparams(self, asynchronous: bool = False) -> Any:
        if self.connection.client is None:
            raise RedisConnectionError("the broker connection is already closed")
        return super()._connparams(asynchronous=asynchronous)


class Transport(kombu_redis.Transport):
    Channel = Channel
