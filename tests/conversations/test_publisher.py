"""Pushes from sync code (conversations/publisher.py): queued without the
caller waiting, sent in the order they were made, bounded while Redis is away,
and flushed on demand."""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
from typing import Any

import pytest
from channels_redis.pubsub import RedisPubSubChannelLayer

from conversations import publisher as publisher_module
from conversations import realtime
from conversations.publisher import Publisher
from msp_console.channel_layer import PubSubChannelLayer
from tests.msp_console.test_channel_layer import REDIS_URL


class HeldLayer(RedisPubSubChannelLayer):
    """A Redis layer whose sends wait until the test lets them through."""

    def __init__(self) -> None:
        super().__init__(hosts=[REDIS_URL], prefix=f"held-{uuid.uuid4().hex[:8]}")
        self.release = threading.Event()
        self.sent: list[Any] = []

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        await asyncio.to_thread(self.release.wait)
        self.sent.append(message["n"])


def test_the_caller_does_not_wait_and_the_order_is_kept() -> None:
    layer, publisher = HeldLayer(), Publisher()
    for n in range(20):
        publisher.submit(layer, "business.1", {"n": n})
    # Every call returned while the first send is still held.
    assert layer.sent == []
    assert publisher.flush(0.2) is False
    layer.release.set()
    assert publisher.flush(5) is True
    assert layer.sent == list(range(20))


def test_past_the_limit_new_pushes_are_dropped_and_logged(monkeypatch, caplog):
    monkeypatch.setattr(publisher_module, "QUEUE_LIMIT", 3)
    layer, publisher = HeldLayer(), Publisher()
    with caplog.at_level(logging.ERROR, logger="conversations.publisher"):
        for n in range(5):
            publisher.submit(layer, "business.1", {"n": n})
    assert [r.message for r in caplog.records] == ["realtime.push_dropped"] * 2
    layer.release.set()
    assert publisher.flush(5) is True
    assert layer.sent == [0, 1, 2]
    publisher.submit(layer, "business.1", {"n": 5})  # room again
    assert publisher.flush(5) is True
    assert layer.sent == [0, 1, 2, 5]


def test_an_unreachable_redis_is_logged_not_raised(caplog):
    layer = RedisPubSubChannelLayer(hosts=["redis://127.0.0.1:1/0"])
    publisher = Publisher()
    with caplog.at_level(logging.ERROR, logger="conversations.publisher"):
        publisher.submit(layer, "business.1", {"type": "realtime.push"})
        assert publisher.flush(10) is True
    assert "realtime.push_failed" in [r.message for r in caplog.records]


@pytest.mark.asyncio
async def test_pushes_from_threads_reach_a_real_subscriber_in_order() -> None:
    name = f"test-publisher-{uuid.uuid4().hex[:8]}"
    layer = PubSubChannelLayer(hosts=[REDIS_URL], prefix=name)
    try:
        channel = await layer.new_channel()
        await layer.group_add("business.7", channel)
        pushes = [{"type": "realtime.push", "n": n} for n in range(200)]

        def from_sync_code() -> None:
            for push in pushes:
                realtime._group_send_from_sync(layer, "business.7", push)

        await asyncio.to_thread(from_sync_code)
        received = [await asyncio.wait_for(layer.receive(channel), 5) for _ in pushes]
        assert received == pushes
    finally:
        await layer.flush()
