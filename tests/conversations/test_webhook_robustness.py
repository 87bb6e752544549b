"""Every signed request answers 200 or a clear 4xx, on PostgreSQL (column
widths and concurrency are invisible on SQLite)."""

from __future__ import annotations

import json
import threading
import uuid

import pytest
from django.db import connection, connections
from django.test import Client

from conversations.apple.payloads import (
    MAX_MESSAGE_ID_LENGTH,
    MAX_OPAQUE_ID_LENGTH,
    MAX_REQUEST_IDENTIFIER_LENGTH,
)
from conversations.models import Conversation, Customer, Message
from tests.helpers import django_headers, inbound_body, inbound_request

pytestmark = pytest.mark.django_db(transaction=True)

KEY = "00" + "ab" * 32
SIGNATURE = "cd" * 20


def post(client: Client, data: bytes, headers: dict[str, str]):
    return client.post(
        "/message",
        data=data,
        content_type="application/json",
        headers=django_headers(headers),
    )


def deliver(client: Client, body: dict, **kwargs):
    data, headers = inbound_request(body, **kwargs)
    return post(client, data, headers)


def test_on_postgresql():
    # The point of this module: SQLite neither enforces widths nor blocks.
    assert connection.vendor == "postgresql"


@pytest.mark.parametrize("copies", [10, 40])
def test_concurrent_redelivery_of_one_id_answers_200_and_stores_once(business, copies):
    body = inbound_body(business_id=business.apple_id, body="once, please")
    data, headers = inbound_request(body)
    statuses: list[int] = []
    start = threading.Barrier(copies)

    def send() -> None:
        try:
            start.wait()
            statuses.append(post(Client(), data, headers).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(copies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * copies
    assert Message.objects.filter(apple_id=body["id"]).count() == 1
    assert Conversation.objects.filter(business=business).count() == 1


def test_long_descriptive_fields_are_cut_and_the_message_is_stored(client, business):
    body = inbound_body(
        business_id=business.apple_id,
        body="my words",
        locale="x" * 500,
        intent="i" * 5000,
        group="g" * 5000,
    )
    response = deliver(client, body, device_agent="iPhone OS " + "z" * 3000)
    assert response.status_code == 200, response.content
    message = Message.objects.get(apple_id=body["id"])
    assert message.body == "my words"
    conversation = message.conversation
    assert conversation.locale == "x" * 32
    assert conversation.intent == "i" * 255
    assert conversation.group == "g" * 255
    assert conversation.device_agent.startswith("iPhone OS ")
    assert len(conversation.device_agent) == 64
    assert message.raw["intent"] == "i" * 5000  # the whole value is kept


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id", "a" * (MAX_MESSAGE_ID_LENGTH + 1)),
        ("id", "has space"),
        ("id", "ctrl\x07char"),
        ("sourceId", "urn:mbid:" + "b" * MAX_OPAQUE_ID_LENGTH),
    ],
)
def test_malformed_ids_are_400_and_nothing_stored(client, business, field, value):
    body = inbound_body(business_id=business.apple_id, body="hi")
    body[field] = value
    data, headers = inbound_request(body)
    headers.pop({"id": "id", "sourceId": "source-id"}[field])  # the body decides
    response = post(client, data, headers)
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]
    assert not Message.objects.exists()
    assert not Customer.objects.exists()


def test_long_request_identifier_is_400(client, business):
    body = inbound_body(
        business_id=business.apple_id,
        type_="interactive",
        interactiveData={
            "data": {
                "version": "1.0",
                "requestIdentifier": "r" * (MAX_REQUEST_IDENTIFIER_LENGTH + 1),
            }
        },
    )
    response = deliver(client, body)
    assert response.status_code == 400
    assert "requestIdentifier" in response.json()["error"]
    assert not Message.objects.exists()


def _attachment(**overrides):
    item = {
        "name": "a.jpg",
        "mimeType": "image/jpeg",
        "size": "1024",
        "signature": SIGNATURE,
        "url": "https://mmcs.example/1",
        "owner": "owner-1",
        "key": KEY,
    }
    item.update(overrides)
    return {k: v for k, v in item.items() if v is not None}


@pytest.mark.parametrize(
    "size",
    ["9" * 70_000, 10**30, str(10**30), str(100 * 1024 * 1024 + 1), -1, 1.5],
)
def test_attachment_sizes_out_of_range_are_400(client, business, size):
    body = inbound_body(
        business_id=business.apple_id,
        body="\ufffc",
        attachments=[_attachment(size=size)],
    )
    response = deliver(client, body)
    assert response.status_code == 400, response.content
    assert "size" in response.json()["error"]
    assert not Message.objects.exists()


def test_attachment_of_exactly_100_mb_is_accepted(client, business):
    body = inbound_body(
        business_id=business.apple_id,
        body="\ufffc",
        attachments=[_attachment(size=str(100 * 1024 * 1024))],
    )
    assert deliver(client, body).status_code == 200


@pytest.mark.parametrize(
    "raw_json",
    [
        '{"x": 1e400}',
        '{"x": -1e400}',
        '{"x": ' + "[" * 1000 + "]" * 1000 + "}",
        '{"x": ' + "[" * 65 + "]" * 65 + "}",
        '{"x": ' + '{"a":' * 900 + "1" + "}" * 900 + "}",
    ],
)
def test_non_finite_numbers_and_deep_nesting_are_400(client, business, raw_json):
    body = inbound_body(business_id=business.apple_id, body="hi")
    text = json.dumps(body)[:-1] + ", " + raw_json[1:]
    _, headers = inbound_request(body, gzipped=False)
    response = post(client, text.encode(), headers)
    assert response.status_code == 400, response.content
    assert not Message.objects.exists()


def test_nesting_within_the_limit_is_accepted(client, business):
    body = inbound_body(business_id=business.apple_id, body="hi")
    nested: object = 1
    for _ in range(60):
        nested = [nested]
    body["extra"] = nested
    assert deliver(client, body).status_code == 200


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ({"interactiveData": {"data": "not an object"}}, "'data' must be an object"),
        ({"interactiveData": {"data": ["x"]}}, "'data' must be an object"),
        (
            {"interactiveData": {"data": {"requestIdentifier": 7}}},
            "requestIdentifier",
        ),
        ({"interactiveData": {"data": {}}, "v": 2}, "'v' must be 1"),
        ({"interactiveData": {"data": {}}, "v": "1"}, "'v' must be 1"),
        ({"interactiveDataRef": {"url": "https://mmcs.example/x"}}, "required"),
        (
            {
                "interactiveDataRef": {
                    "url": "https://mmcs.example/x",
                    "owner": "o",
                    "key": KEY,
                    "signature": SIGNATURE,
                }
            },
            "size",
        ),
    ],
)
def test_malformed_interactive_content_is_400(client, business, fields, why):
    body = inbound_body(business_id=business.apple_id, type_="interactive")
    body.update(fields)
    response = deliver(client, body)
    assert response.status_code == 400, response.content
    assert why in response.json()["error"]
    assert not Message.objects.exists()


@pytest.mark.parametrize("missing", ["url", "owner", "key", "signature", "size"])
def test_attachment_descriptor_missing_a_required_field_is_400(
    client, business, missing
):
    body = inbound_body(
        business_id=business.apple_id,
        body="\ufffc",
        attachments=[_attachment(**{missing: None})],
    )
    response = deliver(client, body)
    assert response.status_code == 400, response.content
    assert not Message.objects.exists()


def test_id_widths_match_the_columns():
    assert Message._meta.get_field("apple_id").max_length == MAX_MESSAGE_ID_LENGTH
    assert Customer._meta.get_field("apple_id").max_length == MAX_OPAQUE_ID_LENGTH
    assert (
        Message._meta.get_field("request_identifier").max_length
        == MAX_REQUEST_IDENTIFIER_LENGTH
    )


def test_valid_interactive_reply_still_stored(client, business):
    body = inbound_body(
        business_id=business.apple_id,
        type_="interactive",
        interactiveData={
            "data": {"version": "1.0", "requestIdentifier": str(uuid.uuid4())}
        },
    )
    assert deliver(client, body).status_code == 200
