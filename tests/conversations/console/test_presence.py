"""Presence over the agents' socket: relayed to teammates, never stored, tenant-checked."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from conversations.consumers import AgentConsumer
from tests.factories import MembershipFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def connected(user) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(AgentConsumer.as_asgi(), "/ws/console/")
    communicator.scope["user"] = user
    ok, _ = await communicator.connect()
    assert ok
    assert (await communicator.receive_json_from())["type"] == "hello"
    return communicator


async def test_focus_is_relayed_to_teammates_and_left_on_disconnect(
    agent, business, conversation
) -> None:
    bob = await database_sync_to_async(UserFactory)(username="bob")
    await database_sync_to_async(MembershipFactory)(user=bob, business=business)
    alice_ws = await connected(agent)
    bob_ws = await connected(bob)
    await alice_ws.send_json_to(
        {"type": "conversation.focus", "conversation": conversation.id, "join": True}
    )
    assert await bob_ws.receive_json_from() == {
        "type": "presence",
        "data": {
            "conversation": conversation.id,
            "who": "alice",
            "viewing": True,
            "join": True,
        },
    }
    assert await alice_ws.receive_nothing(timeout=0.1)  # not echoed back
    await alice_ws.disconnect()
    left = await bob_ws.receive_json_from()
    assert left["data"]["viewing"] is False
    await bob_ws.disconnect()


async def test_focus_and_typing_on_another_business_are_refused(
    agent, foreign_conversation
) -> None:
    mallory_ws = await connected(
        await database_sync_to_async(
            lambda: foreign_conversation.business.memberships.first().user
        )()
    )
    alice_ws = await connected(agent)
    for kind in ("conversation.focus", "typing.start"):
        await alice_ws.send_json_to(
            {"type": kind, "conversation": foreign_conversation.id}
        )
        assert await alice_ws.receive_json_from() == {
            "type": "error",
            "code": "conversation_not_found",
        }
    assert await mallory_ws.receive_nothing(timeout=0.2)
    await alice_ws.disconnect()
    await mallory_ws.disconnect()
