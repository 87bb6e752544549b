"""A person whose access changes stops hearing events at once: removed from the
business, signed out, or password changed (issue 13 item 4)."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.test import Client

from conversations.consumers import AgentConsumer
from conversations.models import Membership

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

PUSH = {
    "type": "realtime.push",
    "payload": {"type": "message.created", "data": {"secret": "customer data"}},
    "exclude_channel": None,
}


async def listening(user) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(AgentConsumer.as_asgi(), "/ws/console/")
    communicator.scope["user"] = user
    connected, _ = await communicator.connect()
    assert connected
    await communicator.receive_json_from()  # hello
    return communicator


async def assert_closed_and_deaf(communicator: WebsocketCommunicator, business) -> None:
    closed = await communicator.receive_output(timeout=1)
    assert closed == {"type": "websocket.close", "code": 4403}
    await get_channel_layer().group_send(f"business.{business.id}", PUSH)
    assert await communicator.receive_nothing(timeout=0.2)


async def test_removing_the_membership_closes_the_socket(agent, business) -> None:
    communicator = await listening(agent)
    await database_sync_to_async(
        Membership.objects.filter(user=agent, business=business).delete
    )()
    await assert_closed_and_deaf(communicator, business)


async def test_signing_out_closes_the_socket(agent, business) -> None:
    communicator = await listening(agent)

    def sign_out() -> None:
        client = Client()
        client.force_login(agent)
        client.post("/accounts/logout/")

    await database_sync_to_async(sign_out)()
    await assert_closed_and_deaf(communicator, business)


async def test_changing_the_password_closes_the_socket(agent, business) -> None:
    communicator = await listening(agent)

    def change() -> None:
        agent.set_password("a-New-password-4242")
        agent.save()

    await database_sync_to_async(change)()
    await assert_closed_and_deaf(communicator, business)


async def test_other_saves_leave_the_socket_open(agent, business) -> None:
    communicator = await listening(agent)

    def rename() -> None:
        agent.first_name = "Ada"
        agent.save()

    await database_sync_to_async(rename)()
    await get_channel_layer().group_send(f"business.{business.id}", PUSH)
    assert (await communicator.receive_json_from())["type"] == "message.created"
    await communicator.disconnect()
