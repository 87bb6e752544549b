from __future__ import annotations

import gzip
import json
import time
import uuid

import jwt
import pytest
from django.test import Client

from conversations.models import Conversation, Message
from tests.helpers import django_headers, inbound_body, inbound_request

pytestmark = pytest.mark.django_db

SECRET = "dGVzdC1zZWNyZXQtZm9yLXRoZS1tc3AtY29uc29sZS1zdWl0ZQ=="


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


def test_text_message_is_stored_and_starts_a_conversation(client, business):
    body = inbound_body(business_id=business.apple_id, body="Hello there")
    response = deliver(client, body)
    assert response.status_code == 200
    message = Message.objects.get(apple_id=body["id"])
    assert message.direction == Message.Direction.IN
    assert message.kind == Message.Kind.TEXT
    assert message.body == "Hello there"
    assert message.raw["id"] == body["id"]
    conversation = message.conversation
    assert conversation.business == business
    assert conversation.customer.apple_id == body["sourceId"]
    assert conversation.device_agent == "iPhone OS"
    assert conversation.locale == "en_US"
    assert conversation.capabilities == [
        "AUTH",
        "AUTH2",
        "FORM",
        "LIST",
        "QUICK",
        "TIME",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Café ☕️ 😀👍🏽",
        "👨‍👩‍👧‍👦 family, 🏳️‍🌈 flag",
        "مرحبا بالعالم",
        "שלום עולם",
        "你好，世界 こんにちは 안녕하세요",
        "e\u0301 combining, Z\u0351\u0362a\u034e",
        "line one\nline two\r\n\ttabbed",
    ],
)
def test_text_survives_byte_exact(client, business, text):
    body = inbound_body(business_id=business.apple_id, body=text)
    assert deliver(client, body).status_code == 200
    stored = Message.objects.get(apple_id=body["id"]).body
    assert stored.encode("utf-8") == text.encode("utf-8")


def test_plain_json_without_gzip_is_accepted(client, business):
    body = inbound_body(business_id=business.apple_id, body="not compressed")
    assert deliver(client, body, gzipped=False).status_code == 200
    assert Message.objects.filter(apple_id=body["id"]).exists()


def test_gzip_is_detected_by_magic_bytes_without_the_header(client, business):
    body = inbound_body(business_id=business.apple_id, body="magic")
    data, headers = inbound_request(body)
    del headers["Content-Encoding"]
    assert post(client, data, headers).status_code == 200
    assert Message.objects.filter(apple_id=body["id"]).exists()


def test_duplicate_apple_delivery_is_stored_once(
    client, business, django_capture_on_commit_callbacks
):
    body = inbound_body(business_id=business.apple_id, body="twice")
    with django_capture_on_commit_callbacks() as first:
        assert deliver(client, body).status_code == 200
    with django_capture_on_commit_callbacks() as second:
        assert deliver(client, body).status_code == 200
    assert Message.objects.filter(apple_id=body["id"]).count() == 1
    assert len(first) > 0
    assert second == []  # nothing pushed again


def test_missing_authorization_is_401_and_nothing_stored(client, business):
    body = inbound_body(business_id=business.apple_id, body="x")
    data, headers = inbound_request(body)
    del headers["Authorization"]
    assert post(client, data, headers).status_code == 401
    assert not Message.objects.exists()


def _token(**overrides) -> str:
    import base64

    claims = {"aud": "test-msp", "iat": int(time.time())}
    claims.update(overrides.pop("claims", {}))
    key = overrides.pop("key", base64.b64decode(SECRET))
    return jwt.encode(claims, key, algorithm=overrides.pop("algorithm", "HS256"))


def _none_alg_token() -> str:
    import base64

    def b64(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64({'aud': 'test-msp', 'iat': int(time.time())})}."


@pytest.mark.parametrize(
    ("authorization", "why"),
    [
        (
            lambda: f"Bearer {_token(key=b'wrong-secret-wrong-secret-wrong!')}",
            "wrong secret",
        ),
        (lambda: f"Bearer {_token(claims={'aud': 'someone-else'})}", "wrong audience"),
        (
            lambda: f"Bearer {_token(claims={'iat': int(time.time()) - 7200})}",
            "expired iat",
        ),
        (
            lambda: f"Bearer {_token(claims={'iat': int(time.time()) + 3600})}",
            "future iat",
        ),
        (lambda: f"Bearer {_token(algorithm='HS512')}", "other algorithm"),
        (lambda: f"Bearer {_none_alg_token()}", "alg none"),
        (lambda: "Bearer not.a.jwt", "garbage"),
    ],
)
def test_bad_tokens_are_403_and_nothing_stored(client, business, authorization, why):
    body = inbound_body(business_id=business.apple_id, body="x")
    data, headers = inbound_request(body, authorization=authorization())
    assert post(client, data, headers).status_code == 403, why
    assert not Message.objects.exists()


@pytest.mark.parametrize("authorization", ["Basic dXNlcjpwYXNz", "Bearer ", "Bearer"])
def test_authorization_without_a_bearer_token_is_401(client, business, authorization):
    body = inbound_body(business_id=business.apple_id, body="x")
    data, headers = inbound_request(body, authorization=authorization)
    assert post(client, data, headers).status_code == 401
    assert not Message.objects.exists()


def test_token_signed_with_the_previous_secret_is_accepted(client, business, settings):
    import base64

    old = base64.b64encode(b"the-old-secret-still-valid-during-rotation").decode()
    settings.MSP_SECRETS = [*settings.MSP_SECRETS, old]
    body = inbound_body(business_id=business.apple_id, body="rotated")
    token = _token(key=base64.b64decode(old))
    assert deliver(client, body, authorization=f"Bearer {token}").status_code == 200


@pytest.mark.parametrize(
    "data",
    [
        b"not json",
        b"[1,2]",
        gzip.compress(b"{broken"),
        b"\x1f\x8b\x08garbage",
        b"\xff\xfe",
    ],
)
def test_undecodable_bodies_are_400(client, business, data):
    body = inbound_body(business_id=business.apple_id, body="x")
    _, headers = inbound_request(body)
    assert post(client, data, headers).status_code == 400


def test_body_without_type_is_400(client, business):
    body = inbound_body(business_id=business.apple_id, body="x")
    del body["type"]
    assert deliver(client, body).status_code == 400


def test_unknown_business_is_404(client, business):
    body = inbound_body(business_id=str(uuid.uuid4()), body="who?")
    assert deliver(client, body).status_code == 404
    assert not Message.objects.exists()


def test_unknown_message_type_is_acknowledged(client, business):
    body = inbound_body(business_id=business.apple_id, type_="somethingNew")
    assert deliver(client, body).status_code == 200
    assert not Message.objects.exists()


def test_typing_is_pushed_and_never_stored(client, business, conversation):
    body = inbound_body(
        business_id=business.apple_id,
        customer_id=conversation.customer.apple_id,
        type_="typing_start",
    )
    assert deliver(client, body).status_code == 200
    assert not Message.objects.exists()


def test_close_closes_and_a_later_message_reopens(client, business):
    first = inbound_body(business_id=business.apple_id, body="hi")
    deliver(client, first)
    close = inbound_body(business_id=business.apple_id, type_="close")
    assert deliver(client, close).status_code == 200
    conversation = Conversation.objects.get()
    assert conversation.status == Conversation.Status.CLOSED
    assert conversation.closed_at is not None
    again = inbound_body(business_id=business.apple_id, body="back again")
    deliver(client, again)
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.OPEN
    assert conversation.closed_at is None


def test_capabilities_follow_the_latest_message(client, business):
    deliver(client, inbound_body(business_id=business.apple_id, body="a"))
    deliver(
        client,
        inbound_body(business_id=business.apple_id, body="b"),
        capabilities="quick, list",
        device_agent="Mac OS X",
    )
    conversation = Conversation.objects.get()
    assert conversation.capabilities == ["LIST", "QUICK"]
    assert conversation.device_agent == "Mac OS X"


def test_first_entry_point_wins_for_routing(client, business):
    deliver(
        client,
        inbound_body(
            business_id=business.apple_id, body="a", intent="billing", group="eu"
        ),
    )
    deliver(
        client,
        inbound_body(
            business_id=business.apple_id, body="b", intent="sales", group="us"
        ),
    )
    conversation = Conversation.objects.get()
    assert (conversation.intent, conversation.group) == ("billing", "eu")
    assert Message.objects.order_by("id").last().raw["intent"] == "sales"


@pytest.mark.parametrize(
    ("sentence", "reaction"),
    [
        ("Loved “Your order has shipped”", "loved"),
        ('Liked "Your order has shipped"', "liked"),
        ("Reacted 🎉 to “Your order has shipped”", "reacted"),
        ("Laughed at “Your order has shipped”", "laughed"),
    ],
)
def test_tapback_is_stored_as_a_reaction_to_the_quoted_message(
    client, business, conversation, sentence, reaction
):
    from tests.factories import MessageFactory

    MessageFactory(conversation=conversation, body="Something else")
    target = MessageFactory(conversation=conversation, body="Your order has shipped")
    body = inbound_body(
        business_id=business.apple_id,
        customer_id=conversation.customer.apple_id,
        body=sentence,
    )
    deliver(client, body)
    message = Message.objects.get(apple_id=body["id"])
    assert message.kind == Message.Kind.REACTION
    assert message.reaction_type == reaction
    assert message.reaction_target == target
    assert message.body == sentence


def test_tapback_on_an_unknown_message_is_kept_without_target(client, business):
    body = inbound_body(business_id=business.apple_id, body="Emphasized “never sent”")
    deliver(client, body)
    message = Message.objects.get(apple_id=body["id"])
    assert message.kind == Message.Kind.REACTION
    assert message.reaction_target is None


def test_webhook_uses_a_bounded_number_of_queries(
    client, business, django_assert_max_num_queries
):
    deliver(client, inbound_body(business_id=business.apple_id, body="warm up"))
    with django_assert_max_num_queries(11):
        deliver(client, inbound_body(business_id=business.apple_id, body="counted"))


def test_interactive_reply_links_to_its_request(client, business, conversation):
    from tests.factories import MessageFactory

    request_id = str(uuid.uuid4())
    question = MessageFactory(
        conversation=conversation,
        kind=Message.Kind.INTERACTIVE,
        request_identifier=request_id,
    )
    body = inbound_body(
        business_id=business.apple_id,
        customer_id=conversation.customer.apple_id,
        type_="interactive",
        interactiveData={
            "bid": "com.apple.messages.MSMessageExtensionBalloonPlugin:0000000000:com.apple.icloud.apps.messages.business.extension",
            "data": {
                "version": "1.0",
                "requestIdentifier": request_id,
                "quick-reply": {"selectedIdentifier": "1"},
            },
        },
    )
    assert deliver(client, body).status_code == 200
    reply = Message.objects.get(apple_id=body["id"])
    assert reply.kind == Message.Kind.INTERACTIVE
    assert reply.reply_to == question
