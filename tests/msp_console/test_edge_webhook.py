"""``POST /message`` answered at the ASGI edge, never by Django's middleware
chain (issue 12): the same answers as the view, the message stored once, one
publish, and the connection handed back after each webhook."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from asgiref.testing import ApplicationCommunicator
from channels.layers import get_channel_layer
from django.db import connections

from conversations.apple.payloads import MAX_MESSAGE_ID_LENGTH
from conversations.models import Message
from msp_console.edge import EdgeMiddleware
from tests.helpers import inbound_body, inbound_request

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


class NeverCalled:
    async def __call__(self, scope, receive, send) -> None:
        raise AssertionError("Django's middleware chain must not see a webhook")


async def post(headers: dict[str, str], chunks: list[bytes]) -> tuple[int, bytes]:
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/message",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("17.0.0.1", 443),
    }
    communicator = ApplicationCommunicator(EdgeMiddleware(NeverCalled()), scope)
    for n, chunk in enumerate(chunks):
        await communicator.send_input(
            {"type": "http.request", "body": chunk, "more_body": n < len(chunks) - 1}
        )
    start = await communicator.receive_output(timeout=10)
    body = await communicator.receive_output(timeout=10)
    await communicator.wait(timeout=2)
    return start["status"], body["body"]


@pytest.fixture
def published(monkeypatch) -> list[tuple[str, dict]]:
    layer = get_channel_layer()
    seen: list[tuple[str, dict]] = []
    original = layer.group_send

    async def recording(group: str, message: dict) -> None:
        seen.append((group, message))
        await original(group, message)

    monkeypatch.setattr(layer, "group_send", recording)
    return seen


def signed(business, **fields) -> tuple[dict[str, str], bytes]:
    body = inbound_body(business_id=business.apple_id, **fields)
    content, headers = inbound_request(body)
    return headers, content


async def test_a_signed_webhook_is_stored_and_published_without_django(
    business, published
) -> None:
    headers, content = signed(business, body="hello from the edge")
    # Split in three, as a proxy may forward it.
    chunks = [content[:10], content[10:20], content[20:]]
    assert (await post(headers, chunks))[0] == 200
    assert (await post(headers, [content]))[0] == 200  # Apple's redelivery
    texts = await sync_to_async(
        lambda: list(Message.objects.values_list("body", flat=True))
    )()
    assert texts == ["hello from the edge"]
    assert [m["payload"]["type"] for _, m in published] == ["message.created"]
    assert {group for group, _ in published} == {f"business.{business.id}"}


async def test_the_edge_answers_like_the_view(business) -> None:
    headers, content = signed(business, body="x")
    bad = {**headers, "Authorization": "Bearer forged"}
    status, body = await post(bad, [content])
    assert status == 403
    assert b"invalid token" in body
    status, body = await post(headers, [b"{not json"])
    assert status == 400
    assert b"malformed payload" in body
    unknown, unknown_headers = inbound_request(
        inbound_body(business_id="someone-else", body="x")
    )
    status, body = await post(unknown_headers, [unknown])
    assert status == 404
    assert b"someone-else" in body
    too_long = signed(business, message_id="m" * (MAX_MESSAGE_ID_LENGTH + 1))
    assert (await post(*too_long[:1], [too_long[1]]))[0] == 400
    assert not await sync_to_async(Message.objects.exists)()


async def test_a_chunked_body_over_the_limit_is_413(business) -> None:
    headers, _ = signed(business, body="x")
    headers.pop("Content-Length", None)
    chunk = b"x" * (1024 * 1024)
    status, _ = await post(headers, [chunk] * 5)
    assert status == 413


def backends() -> int:
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        )
        return cursor.fetchone()[0]


async def test_each_webhook_hands_its_connection_back(business) -> None:
    before = await sync_to_async(backends)()
    for n in range(8):
        headers, content = signed(business, body=f"message {n}")
        assert (await post(headers, [content]))[0] == 200
    # No request cycle closes the executor threads' connections at the edge:
    # the handler does (with the pool they go back to it), so none is left open
    # (one another test left closing meanwhile may make it fewer).
    assert await sync_to_async(backends)() <= before
