"""The channel layer: channels_redis's pub/sub layer, telling sockets when Redis drops.

Why pub/sub rather than channels_redis's default layer: a push is one PUBLISH
that Redis hands to every process with a socket in the business. The default
layer reads the group's members and queues a copy per socket (three round
trips per push) and every socket polls its own list; on one Daphne process at
16 webhooks in flight that took a push's p50 from 416 ms to 148 ms
(bench/inbound.py). Pushes are fire-and-forget with either layer: the database
is the truth and the console resyncs when its socket reconnects.

What pub/sub loses silently is a push sent while a process's subscription is
down (Redis restarting): redis-py subscribes again by itself and the sockets
would never know they missed anything. So when the subscription breaks, this
layer drops the connection and its subscriptions and tells every socket of
the process ``layer.unavailable``; the agent socket closes with 4503
(conversations/consumers.py), the browser reconnects, subscribes afresh and
resyncs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from channels_redis import pubsub
from channels_redis.utils import _close_redis, _wrap_close

logger = logging.getLogger(__name__)

LAYER_UNAVAILABLE = {"type": "layer.unavailable"}


class _Shard(pubsub.RedisSingleShardConnection):
    # channels_redis is untyped: name what this class touches.
    _pubsub: Any
    _redis: Any
    _subscribed_to: set[str]
    _receive_task: Any
    channel_layer: Any

    async def _do_receiving(self) -> None:
        while True:
            try:
                if self._pubsub and self._pubsub.subscribed:
                    message = await self._pubsub.get_message(
                        ignore_subscribe_messages=True, timeout=0.1
                    )
                    self._receive_message(message)
                else:
                    await asyncio.sleep(0.1)
            except (TimeoutError, asyncio.CancelledError, GeneratorExit):
                raise
            except Exception:
                logger.warning("channel_layer.subscription_lost", exc_info=True)
                await self._drop()
                return

    async def _drop(self) -> None:
        """Forget the connection and what it was subscribed to, then tell every
        local channel: each consumer closes and its client comes back to a
        fresh subscription (or a refusal while Redis is still down)."""
        async with self._lock:
            redis, self._redis, self._pubsub = self._redis, None, None
            self._subscribed_to = set()
            self._receive_task = None
        if redis is not None:
            with contextlib.suppress(Exception):
                await _close_redis(redis)
        layer = self.channel_layer
        notice = layer.channel_layer.serialize(LAYER_UNAVAILABLE)
        for queue in layer.channels.values():
            queue.put_nowait(notice)


class _LoopLayer(pubsub.RedisPubSubLoopLayer):
    _shards: list[Any]
    channels: dict[str, asyncio.Queue[Any]]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._shards = [_Shard(shard.host, self) for shard in self._shards]

    async def _subscribe_to_channel(self, channel: str) -> None:
        # Channels asks for a socket's own channel before the consumer runs, so
        # a failure here (Redis down) would be a 500 on the handshake. Our
        # pushes all go to groups: the consumer's group joins fail next and it
        # closes with 4503, "try again shortly".
        self.channels[channel] = asyncio.Queue()
        try:
            await self._get_shard(channel).subscribe(channel)
        except Exception:
            logger.warning("channel_layer.subscribe_failed", exc_info=True)


class PubSubChannelLayer(pubsub.RedisPubSubChannelLayer):
    def _get_layer(self) -> pubsub.RedisPubSubLoopLayer:
        loop = asyncio.get_running_loop()
        layer = self._layers.get(loop)
        if layer is None:
            layer = _LoopLayer(*self._args, **self._kwargs, channel_layer=self)
            self._layers[loop] = layer
            _wrap_close(self, loop)
        return layer
