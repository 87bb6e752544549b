"""A client built from the schema alone does a bot's work on a live stack: list
conversations, send text, send a rich object, read delivery status."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.contract.schema_client import ContractError, SchemaClient
from tests.contract.seed import customer_writes
from tests.gateway_stand_in import GatewayStandIn
from tests.live import MSP_ID, MSP_SECRET, LiveStack, live_stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def gateway() -> Iterator[GatewayStandIn]:
    stand_in = GatewayStandIn(msp_id=MSP_ID, secret_b64=MSP_SECRET).start()
    yield stand_in
    stand_in.stop()


@pytest.fixture(scope="module")
def stack(gateway: GatewayStandIn) -> Iterator[LiveStack]:
    with live_stack(gateway_url=gateway.url, name="schema-client") as running:
        yield running


@pytest.fixture(scope="module")
def bot(stack: LiveStack) -> Iterator[SchemaClient]:
    client = SchemaClient(stack.base_url, stack.agent_token)
    yield client
    client.close()


def delivered(bot: SchemaClient, message_id: int) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        _, message = bot.call("v1_messages_retrieve", path={"message_id": message_id})
        if message["status"] in ("sent", "delivered", "read", "failed"):
            return message
        time.sleep(0.2)
    raise AssertionError(f"message {message_id} still {message['status']}")


def test_a_schema_only_client_lists_sends_text_and_rich_and_reads_status(
    stack: LiveStack, bot: SchemaClient, gateway: GatewayStandIn
) -> None:
    customer = customer_writes(stack, "Do you repair e-bikes?")

    # List conversations: one page shape, found by operationId.
    status, page = bot.call("v1_conversations_list", query={"limit": 10})
    assert status == 200
    conversation = next(
        c for c in page["results"] if c["customer"]["apple_id"] == customer
    )

    # Send text, with an Idempotency-Key as the schema offers.
    send = bot.body("v1_conversations_messages_create", text="Yes, bring it in today.")
    key = {"Idempotency-Key": str(uuid.uuid4())}
    status, text = bot.call(
        "v1_conversations_messages_create",
        path={"conversation_id": conversation["id"]},
        body=send,
        headers=key,
    )
    assert status == 201
    status, again = bot.call(
        "v1_conversations_messages_create",
        path={"conversation_id": conversation["id"]},
        body=send,
        headers=key,
    )
    assert (status, again["id"]) == (201, text["id"])

    # A library object to send: an admin imports one, through the schema too.
    admin_token = stack.manage(
        "add_agent",
        f"admin-{uuid.uuid4().hex[:6]}",
        "--business",
        stack.business_apple_id,
        "--role",
        "admin",
        "--token",
    )
    admin = SchemaClient(stack.base_url, admin_token)
    try:
        library = admin.body(
            "v1_businesses_rich_objects_import_create",
            format="msp-console.richobjects",
            version=1,
            objects=[
                {
                    "name": "Repair options",
                    "kind": "quick_reply",
                    "published": True,
                    "spec": {
                        "summary": "What needs fixing?",
                        "items": ["Brakes", "Battery", "Something else"],
                    },
                }
            ],
        )
        status, report = admin.call(
            "v1_businesses_rich_objects_import_create",
            path={"business_id": conversation["business"]["id"]},
            body=library,
        )
        assert (status, report["created"]) == (200, ["Repair options"])
    finally:
        admin.close()

    # Send the rich object, found by the list's filter.
    _, objects = bot.call("v1_rich_objects_list", query={"q": "repair"})
    (rich_object,) = objects["results"]
    status, rich = bot.call(
        "v1_conversations_rich_create",
        path={"conversation_id": conversation["id"]},
        body=bot.body("v1_conversations_rich_create", object=rich_object["id"]),
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert status == 201
    assert rich["rich"]["kind"] == "quick_reply"

    # Read delivery status until Apple (the stand-in) has them.
    assert delivered(bot, text["id"])["status"] == "sent"
    assert delivered(bot, rich["id"])["status"] == "sent"
    assert text["apple_id"] in {r.headers["id"] for r in gateway.messages("text")}
    interactive = {r.headers["id"] for r in gateway.messages("interactive")}
    assert rich["apple_id"] in interactive


def test_the_client_refuses_what_the_schema_does_not_allow(bot: SchemaClient) -> None:
    # It can fail: bodies and parameters are checked against the schema first.
    with pytest.raises(ContractError, match="needs"):
        bot.body("v1_conversations_messages_create")
    with pytest.raises(ContractError, match="takes no"):
        bot.body("v1_conversations_typing_create", typing=True, text="hi")
    with pytest.raises(ContractError):
        bot.body("v1_conversations_typing_create", typing="yes")
    with pytest.raises(ContractError, match="no query"):
        bot.call("v1_conversations_list", query={"offset": 5})
