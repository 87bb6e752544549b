from __future__ import annotations

import gzip
import json
import uuid

import httpx
import pytest

from conversations.apple.crypto import encrypt_bytes, key_to_wire, new_key
from conversations.models import Message
from tests.factories import MessageFactory
from tests.helpers import django_headers, inbound_body, inbound_request

pytestmark = pytest.mark.django_db(transaction=True)

BID = "com.apple.messages.MSMessageExtensionBalloonPlugin:0000000000:com.apple.icloud.apps.messages.business.extension"


def serve_data_ref(apple_gateway, plain: bytes) -> dict:
    key = new_key()
    encrypted = encrypt_bytes(key, gzip.compress(plain))
    apple_gateway.routes["/v1/preDownload"] = lambda r: httpx.Response(
        200, json={"download-url": "http://apple.test/files/ref-1"}
    )
    apple_gateway.routes["/files/ref-1"] = lambda r: httpx.Response(
        200, content=encrypted
    )

    def decode(request: httpx.Request) -> httpx.Response:
        assert request.headers["bid"] == BID
        return httpx.Response(200, json={"interactiveData": json.loads(request.read())})

    apple_gateway.routes["/v1/decodePayload"] = decode
    return {
        "bid": BID,
        "url": "https://p.example/ref-1",
        "owner": "owner-1",
        "key": key_to_wire(key),
        "size": str(len(encrypted)),
        "signature": "0a1b2c3d",
    }


def test_data_ref_reply_is_resolved_and_linked_to_its_question(
    client, conversation, apple_gateway
):
    request_id = str(uuid.uuid4())
    question = MessageFactory(
        conversation=conversation,
        kind=Message.Kind.INTERACTIVE,
        request_identifier=request_id,
    )
    reply_data = {
        "bid": BID,
        "data": {
            "version": "1.0",
            "requestIdentifier": request_id,
            "listPicker": {
                "sections": [{"items": [{"identifier": "1", "title": "x" * 12000}]}]
            },
        },
    }
    data_ref = serve_data_ref(apple_gateway, json.dumps(reply_data).encode())
    body = inbound_body(
        business_id=conversation.business.apple_id,
        customer_id=conversation.customer.apple_id,
        type_="interactive",
        interactiveDataRef=data_ref,
    )
    data, headers = inbound_request(body)
    response = client.post(
        "/message",
        data=data,
        content_type="application/json",
        headers=django_headers(headers),
    )
    assert response.status_code == 200
    reply = Message.objects.get(apple_id=body["id"])
    assert reply.reply_to == question
    assert reply.request_identifier == request_id
    assert reply.raw["interactiveData"] == reply_data
    assert reply.raw["interactiveDataRef"] == data_ref


def test_unreadable_data_ref_is_kept_with_a_reason(client, conversation, apple_gateway):
    apple_gateway.fail_next(1, status=404, body="expired")
    body = inbound_body(
        business_id=conversation.business.apple_id,
        customer_id=conversation.customer.apple_id,
        type_="interactive",
        interactiveDataRef={
            "bid": BID,
            "url": "https://p.example/gone",
            "owner": "o",
            "key": key_to_wire(new_key()),
            "size": "10",
            "signature": "00",
        },
    )
    data, headers = inbound_request(body)
    client.post(
        "/message",
        data=data,
        content_type="application/json",
        headers=django_headers(headers),
    )
    reply = Message.objects.get(apple_id=body["id"])
    assert "could not be read" in reply.last_error
    assert "404" in reply.last_error
    assert "interactiveData" not in reply.raw
