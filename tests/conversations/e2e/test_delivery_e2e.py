"""The spine end to end: Daphne, a Celery worker on Redis and PostgreSQL, with
Apple played by a local stand-in that checks JWTs and headers."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import jwt
import pytest
from websockets.sync.client import connect

from tests.gateway_stand_in import GatewayStandIn
from tests.helpers import inbound_body, inbound_request
from tests.live import MSP_ID, MSP_SECRET, LiveStack, live_stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def gateway() -> Iterator[GatewayStandIn]:
    stand_in = GatewayStandIn(msp_id=MSP_ID, secret_b64=MSP_SECRET).start()
    yield stand_in
    stand_in.stop()


@pytest.fixture(scope="module")
def stack(gateway: GatewayStandIn) -> Iterator[LiveStack]:
    with live_stack(gateway_url=gateway.url, name="delivery") as running:
        yield running


def wait_for(predicate: Callable[[], Any], seconds: float = 20) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def apple_post(stack: LiveStack, body: dict[str, Any]) -> httpx.Response:
    token = jwt.encode(
        {"aud": MSP_ID, "iat": int(time.time())},
        base64.b64decode(MSP_SECRET),
        algorithm="HS256",
    )
    data, headers = inbound_request(body, authorization=f"Bearer {token}")
    return httpx.post(
        f"{stack.base_url}/message", content=data, headers=headers, timeout=10
    )


def api(stack: LiveStack) -> httpx.Client:
    return httpx.Client(
        base_url=stack.base_url,
        headers={"Authorization": f"Token {stack.agent_token}"},
        timeout=10,
    )


def start_conversation(
    stack: LiveStack, text: str = "Hi from my iPhone"
) -> tuple[int, str]:
    customer = f"urn:mbid:AQAAY-{uuid.uuid4().hex}"
    body = inbound_body(
        business_id=stack.business_apple_id, customer_id=customer, body=text
    )
    assert apple_post(stack, body).status_code == 200
    with api(stack) as client:
        conversations = client.get("/api/v1/conversations/").json()["results"]
    conversation = next(
        c for c in conversations if c["customer"]["apple_id"] == customer
    )
    return conversation["id"], customer


def send(stack: LiveStack, conversation_id: int, text: str) -> dict[str, Any]:
    with api(stack) as client:
        response = client.post(
            f"/api/v1/conversations/{conversation_id}/messages/", json={"text": text}
        )
    assert response.status_code == 201, response.text
    return response.json()


def message(stack: LiveStack, message_id: int) -> dict[str, Any]:
    with api(stack) as client:
        return client.get(f"/api/v1/messages/{message_id}/").json()


def test_reply_is_delivered_by_the_worker_with_apple_headers(stack, gateway):
    conversation_id, customer = start_conversation(stack)
    text = "Thanks! 🚲 Ваш заказ готов — 注文 ✅"
    sent = send(stack, conversation_id, text)
    done = wait_for(lambda: message(stack, sent["id"])["status"] == "sent" and True)
    assert done
    received = next(
        r for r in gateway.messages() if r.headers["id"] == sent["apple_id"]
    )
    assert received.headers["destination-id"] == customer
    assert received.headers["source-id"] == stack.business_apple_id
    assert received.headers.get("msp-agent")
    assert received.body["body"] == text
    assert text.encode("utf-8") in received.raw


def test_transient_failures_are_retried_by_the_worker_with_the_same_id(stack, gateway):
    conversation_id, _ = start_conversation(stack)
    gateway.fail_next(2, 503)
    sent = send(stack, conversation_id, "after two 503s")
    final = wait_for(
        lambda: (m := message(stack, sent["id"]))["status"] == "sent" and m, 40
    )
    assert final["attempts"] == 3
    assert [r for r in gateway.rejected if r.startswith("503")][-2:] == [
        "503 forced failure"
    ] * 2
    assert (
        len([r for r in gateway.messages() if r.headers["id"] == sent["apple_id"]]) == 1
    )


def test_permanent_failure_is_shown_with_its_reason(stack, gateway):
    conversation_id, _ = start_conversation(stack)
    gateway.fail_next(1, 400)
    sent = send(stack, conversation_id, "refused")
    final = wait_for(
        lambda: (m := message(stack, sent["id"]))["status"] == "failed" and m
    )
    assert "400" in final["last_error"]
    assert final["attempts"] == 1


def test_a_conversation_keeps_its_order(stack, gateway):
    conversation_id, customer = start_conversation(stack)
    texts = [f"part {n}" for n in range(6)]
    ids = [send(stack, conversation_id, text)["id"] for text in texts]
    wait_for(lambda: all(message(stack, i)["status"] == "sent" for i in ids), 40)
    seen = [
        r.body["body"]
        for r in gateway.messages()
        if r.headers["destination-id"] == customer
    ]
    assert seen == texts


def test_agent_socket_sees_inbound_messages_and_customer_close(stack, gateway):
    conversation_id, customer = start_conversation(stack)
    cookie = stack.agent_cookie()
    ws_url = stack.agent_socket_url
    with connect(
        ws_url, additional_headers={"Cookie": cookie, "Origin": stack.base_url}
    ) as ws:
        assert json.loads(ws.recv(timeout=5))["type"] == "hello"
        body = inbound_body(
            business_id=stack.business_apple_id, customer_id=customer, body="live? 👀"
        )
        apple_post(stack, body)
        event = json.loads(ws.recv(timeout=5))
        assert event["type"] == "message.created"
        assert event["data"]["text"] == "live? 👀"
        typing = inbound_body(
            business_id=stack.business_apple_id,
            customer_id=customer,
            type_="typing_start",
        )
        apple_post(stack, typing)
        event = json.loads(ws.recv(timeout=5))
        assert event["type"] == "typing"
        assert event["data"] == {
            "conversation": conversation_id,
            "who": "customer",
            "typing": True,
        }
        close = inbound_body(
            business_id=stack.business_apple_id, customer_id=customer, type_="close"
        )
        apple_post(stack, close)
        event = json.loads(ws.recv(timeout=5))
        assert event["type"] == "conversation.closed"
    with api(stack) as client:
        refused = client.post(
            f"/api/v1/conversations/{conversation_id}/messages/",
            json={"text": "still there?"},
        )
    assert refused.status_code == 409
    assert not [r for r in gateway.messages() if r.body.get("body") == "still there?"]


def test_socket_refuses_anonymous_and_foreign_origins(stack):
    ws_url = stack.agent_socket_url
    with (
        pytest.raises(Exception, match=r"(?i)(4401|403|rejected|closed)"),
        connect(ws_url, additional_headers={"Origin": stack.base_url}) as ws,
    ):
        ws.recv(timeout=5)
    with (
        pytest.raises(Exception, match=r"(?i)(403|rejected)"),
        connect(ws_url, additional_headers={"Origin": "http://evil.example"}),
    ):
        pass


def next_event(ws: Any, event_type: str) -> dict[str, Any]:
    """The next event of a type; others (presence, unread counts) may come between."""
    for _ in range(20):
        event = json.loads(ws.recv(timeout=5))
        if event["type"] == event_type:
            return event
    raise AssertionError(f"no {event_type} event")


def test_idle_agent_socket_stays_open(stack):
    """An agent's socket may sit quiet for minutes; the Redis layer must not time it out."""
    _, customer = start_conversation(stack)
    ws_url = stack.agent_socket_url
    headers = {"Cookie": stack.agent_cookie(), "Origin": stack.base_url}
    with connect(ws_url, additional_headers=headers) as ws:
        assert json.loads(ws.recv(timeout=5))["type"] == "hello"
        time.sleep(7)  # longer than redis-py's and channels_redis' 5 s waits
        body = inbound_body(
            business_id=stack.business_apple_id,
            customer_id=customer,
            body="still there?",
        )
        apple_post(stack, body)
        event = next_event(ws, "message.created")
        assert event["data"]["text"] == "still there?"
