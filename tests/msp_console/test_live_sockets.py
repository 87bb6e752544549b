"""Agents' sockets outlive channels_redis's group memory and keep hearing pushes.

Real Redis with a two-second group expiry stands in for hours with the hour-long
production expiry: a member that does not re-join is forgotten, and the agent's
socket is not.
"""

from __future__ import annotations

import asyncio
import os
import uuid

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator

from conversations.consumers import AgentConsumer
from conversations.models import Membership
from tests.factories import BusinessFactory, MembershipFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

REDIS_URL = os.environ.get("E2E_REDIS_URL", "redis://127.0.0.1:6379/9")
EXPIRY = 2
PUSH = {
    "type": "realtime.push",
    "payload": {"type": "message.created", "data": {"id": 1}},
    "exclude_channel": None,
}


@pytest.fixture
def short_lived_groups(settings):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [REDIS_URL],
                "prefix": f"test-expiry-{uuid.uuid4().hex[:8]}",
                "group_expiry": EXPIRY,
            },
        }
    }


def communicator_for(user) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(AgentConsumer.as_asgi(), "/ws/console/")
    communicator.scope["user"] = user
    return communicator


async def test_a_member_that_does_not_rejoin_is_forgotten(short_lived_groups):
    # The hazard itself, so the test below cannot pass by a lenient layer.
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add("business.1", channel)
    await asyncio.sleep(EXPIRY + 1.5)
    await layer.group_send("business.1", PUSH)
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(layer.receive(channel), timeout=0.5)


async def test_agent_socket_hears_pushes_after_the_group_expiry(
    short_lived_groups, agent, business
):
    communicator = communicator_for(agent)
    connected, _ = await communicator.connect()
    assert connected
    await communicator.receive_json_from()
    await asyncio.sleep(EXPIRY + 1.5)
    await get_channel_layer().group_send(f"business.{business.id}", PUSH)
    assert await communicator.receive_json_from(timeout=2) == PUSH["payload"]
    await communicator.disconnect()


async def test_rejoining_follows_memberships(short_lived_groups, agent, business):
    """An agent added to a business starts hearing it at the next re-join; one
    removed is cut off at once (the socket closes, see the security tests)."""
    other = await database_sync_to_async(BusinessFactory)()
    communicator = communicator_for(agent)
    await communicator.connect()
    await communicator.receive_json_from()
    await database_sync_to_async(MembershipFactory)(user=agent, business=other)
    await asyncio.sleep(EXPIRY)
    layer = get_channel_layer()
    await layer.group_send(f"business.{other.id}", PUSH)
    assert await communicator.receive_json_from(timeout=2) == PUSH["payload"]
    await database_sync_to_async(
        lambda: Membership.objects.filter(user=agent, business=business).delete()
    )()
    closed = await communicator.receive_output(timeout=2)
    assert closed["type"] == "websocket.close"
    await communicator.disconnect()
