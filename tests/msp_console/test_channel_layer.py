"""The production channel layer (msp_console/channel_layer.py) on a real Redis:
one publish reaches every member of a group, and when a process's subscription
breaks (Redis restarting, the connection killed) every local channel is told
``layer.unavailable`` instead of silently missing what was published meanwhile;
a fresh subscription then hears pushes again."""

from __future__ import annotations

import asyncio
import os
import uuid

import pytest
import redis.asyncio as redis

from msp_console.channel_layer import LAYER_UNAVAILABLE, PubSubChannelLayer

pytestmark = pytest.mark.asyncio

REDIS_URL = os.environ.get("E2E_REDIS_URL", "redis://127.0.0.1:6379/9")
PUSH = {"type": "realtime.push", "payload": {"n": 1}}


def new_layer() -> tuple[PubSubChannelLayer, str]:
    """A layer whose connections carry a name of their own, so that only they
    are killed (other tests may be using the same Redis)."""
    name = f"test-layer-{uuid.uuid4().hex[:8]}"
    layer = PubSubChannelLayer(
        hosts=[{"address": REDIS_URL, "client_name": name}], prefix=name
    )
    return layer, name


async def kill_connections(name: str) -> int:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        killed = 0
        for entry in await client.client_list():
            if entry.get("name") == name:
                await client.client_kill_filter(_id=entry["id"])
                killed += 1
        return killed
    finally:
        await client.aclose()


async def test_one_publish_reaches_every_member_of_the_group() -> None:
    layer, _ = new_layer()
    try:
        channels = [await layer.new_channel() for _ in range(3)]
        for channel in channels:
            await layer.group_add("business.1", channel)
        await layer.group_send("business.1", PUSH)
        for channel in channels:
            assert await asyncio.wait_for(layer.receive(channel), 5) == PUSH
    finally:
        await layer.flush()


async def test_a_broken_subscription_tells_every_channel_then_recovers() -> None:
    layer, name = new_layer()
    try:
        channels = [await layer.new_channel() for _ in range(2)]
        for channel in channels:
            await layer.group_add("business.1", channel)
        assert await kill_connections(name) >= 1
        for channel in channels:
            assert await asyncio.wait_for(layer.receive(channel), 5) == (
                LAYER_UNAVAILABLE
            )
        # What a reconnecting socket does: a new channel, the groups again.
        fresh = await layer.new_channel()
        await layer.group_add("business.1", fresh)
        await layer.group_send("business.1", PUSH)
        assert await asyncio.wait_for(layer.receive(fresh), 5) == PUSH
    finally:
        await layer.flush()
