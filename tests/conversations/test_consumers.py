from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator

from conversations.consumers import AgentConsumer
from tests.factories import ConversationFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


def communicator_for(user) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(AgentConsumer.as_asgi(), "/ws/console/")
    communicator.scope["user"] = user
    return communicator


async def test_anonymous_socket_is_refused():
    from django.contrib.auth.models import AnonymousUser

    communicator = communicator_for(AnonymousUser())
    connected, code = await communicator.connect()
    assert not connected
    assert code == 4401


async def test_agent_receives_pushes_of_own_business_only(agent, business):
    foreign = await database_sync_to_async(ConversationFactory)()
    communicator = communicator_for(agent)
    connected, _ = await communicator.connect()
    assert connected
    hello = await communicator.receive_json_from()
    assert hello == {"type": "hello", "data": {"businesses": [business.id]}}
    layer = get_channel_layer()
    push = {
        "type": "realtime.push",
        "payload": {"type": "x", "data": {}},
        "exclude_channel": None,
    }
    await layer.group_send(f"business.{foreign.business_id}", push)
    assert await communicator.receive_nothing(timeout=0.2)
    await layer.group_send(f"business.{business.id}", push)
    assert await communicator.receive_json_from() == {"type": "x", "data": {}}
    await communicator.disconnect()


async def test_typing_from_the_agent_is_relayed_to_teammates_not_back(
    agent, business, conversation, apple_gateway
):
    mine = communicator_for(agent)
    await mine.connect()
    await mine.receive_json_from()
    teammate = communicator_for(agent)
    await teammate.connect()
    await teammate.receive_json_from()
    await mine.send_json_to({"type": "typing.start", "conversation": conversation.id})
    event = await teammate.receive_json_from()
    assert event == {
        "type": "typing",
        "data": {
            "conversation": conversation.id,
            "who": agent.username,
            "typing": True,
        },
    }
    assert await mine.receive_nothing(timeout=0.2)
    assert apple_gateway.requests[0].json["type"] == "typing_start"
    await mine.disconnect()
    await teammate.disconnect()


async def test_typing_on_a_foreign_conversation_is_an_error(agent, apple_gateway):
    foreign = await database_sync_to_async(ConversationFactory)()
    communicator = communicator_for(agent)
    await communicator.connect()
    await communicator.receive_json_from()
    await communicator.send_json_to(
        {"type": "typing.start", "conversation": foreign.id}
    )
    assert await communicator.receive_json_from() == {
        "type": "error",
        "code": "conversation_not_found",
    }
    await communicator.send_json_to({"type": "delete.everything"})
    assert await communicator.receive_json_from() == {
        "type": "error",
        "code": "unknown_type",
    }
    assert apple_gateway.requests == []
    await communicator.disconnect()
