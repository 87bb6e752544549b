"""The agents' socket when the channel layer (Redis in production) fails: the
handshake and an open socket close with 4503, "retry shortly", never a crash
(Daphne's 500 or 1011); the re-join loop outlives a failed re-join.

The layer fails on demand here; tests/e2e/test_recovery_e2e.py restarts a real
Redis under a live server.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from channels.layers import InMemoryChannelLayer, get_channel_layer
from channels.testing import WebsocketCommunicator

from conversations.consumers import CLOSE_LAYER_UNAVAILABLE, AgentConsumer

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

PUSH = {
    "type": "realtime.push",
    "payload": {"type": "message.created", "data": {"id": 1}},
    "exclude_channel": None,
}


class FailingLayer(InMemoryChannelLayer):
    """An in-memory layer whose Redis can be 'down' for group changes or reads."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.groups_down = False
        self.reads_down = asyncio.Event()
        self.failed_group_adds = 0

    async def group_add(self, group: str, channel: str) -> None:
        if self.groups_down:
            self.failed_group_adds += 1
            raise ConnectionError("Error 111 connecting to redis")
        await super().group_add(group, channel)

    async def receive(self, channel: str) -> dict[str, Any]:
        read = asyncio.ensure_future(super().receive(channel))
        down = asyncio.ensure_future(self.reads_down.wait())
        done, _ = await asyncio.wait({read, down}, return_when=asyncio.FIRST_COMPLETED)
        if read in done:
            down.cancel()
            return read.result()
        read.cancel()
        raise ConnectionError("Connection closed by server.")


@pytest.fixture
def failing_layer(settings) -> FailingLayer:
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": f"{__name__}.FailingLayer",
            "CONFIG": {"group_expiry": 1},
        }
    }
    layer = get_channel_layer()
    assert isinstance(layer, FailingLayer)
    return layer


def communicator_for(user) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(AgentConsumer.as_asgi(), "/ws/console/")
    communicator.scope["user"] = user
    return communicator


async def test_handshake_while_the_layer_is_down_closes_with_retry_code(
    failing_layer, agent
):
    failing_layer.groups_down = True
    communicator = communicator_for(agent)
    connected, _ = await communicator.connect()
    assert connected  # accepted, so the browser gets a close code, not a 500
    closed = await communicator.receive_output(timeout=2)
    assert closed == {"type": "websocket.close", "code": CLOSE_LAYER_UNAVAILABLE}
    await communicator.wait()


async def test_open_socket_closes_with_retry_code_when_the_layer_drops(
    failing_layer, agent
):
    communicator = communicator_for(agent)
    connected, _ = await communicator.connect()
    assert connected
    assert (await communicator.receive_json_from())["type"] == "hello"
    failing_layer.reads_down.set()
    closed = await communicator.receive_output(timeout=2)
    assert closed == {"type": "websocket.close", "code": CLOSE_LAYER_UNAVAILABLE}
    await communicator.disconnect()


async def test_rejoin_loop_outlives_a_failed_rejoin(failing_layer, agent, business):
    communicator = communicator_for(agent)
    await communicator.connect()
    await communicator.receive_json_from()
    # Re-joins fail long enough for the membership to expire (1 s here).
    failing_layer.groups_down = True
    await asyncio.sleep(1.6)
    assert failing_layer.failed_group_adds
    failing_layer.groups_down = False
    await asyncio.sleep(1.2)  # the loop tries again and joins
    await failing_layer.group_send(f"business.{business.id}", PUSH)
    assert await communicator.receive_json_from(timeout=2) == PUSH["payload"]
    await communicator.disconnect()
