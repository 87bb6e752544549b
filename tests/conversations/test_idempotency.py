"""Idempotency-Key: a retried write answers the first result and sends nothing twice."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from conversations import services
from conversations.idempotency import idempotency_keys_purge
from conversations.models import IdempotencyKey, Message
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def send(client: APIClient, conversation, key: str | None, text: str = "Hello"):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(
        f"/api/v1/conversations/{conversation.id}/messages/",
        {"text": text},
        format="json",
        **headers,
    )


def outbound(conversation) -> int:
    return Message.objects.filter(
        conversation=conversation, direction=Message.Direction.OUT
    ).count()


def test_a_retry_with_the_same_key_replays_the_first_answer(api_client, conversation):
    first = send(api_client, conversation, "order-42-reply")
    again = send(api_client, conversation, "order-42-reply")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert outbound(conversation) == 1


def test_without_a_key_every_post_sends(api_client, conversation):
    send(api_client, conversation, None)
    send(api_client, conversation, None)
    assert outbound(conversation) == 2


def test_the_same_key_with_another_body_is_422(api_client, conversation):
    assert send(api_client, conversation, "k1", "Hello").status_code == 201
    reused = send(api_client, conversation, "k1", "Something else")
    assert reused.status_code == 422
    assert reused.json()["error"]["code"] == "idempotency_key_reused"
    other_path = api_client.post(
        f"/api/v1/conversations/{conversation.id}/notes/",
        {"text": "Hello"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k1",
    )
    assert other_path.status_code == 422
    assert outbound(conversation) == 1


def test_keys_are_per_caller(api_client, business, conversation):
    bob = UserFactory(username="bob")
    MembershipFactory(user=bob, business=business)
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=bob).key}")
    assert send(api_client, conversation, "shared").status_code == 201
    assert send(other, conversation, "shared").status_code == 201
    assert outbound(conversation) == 2


def test_an_error_is_not_kept_so_the_fixed_request_runs(api_client, conversation):
    conversation.status = "closed"
    conversation.save()
    refused = send(api_client, conversation, "retry-me")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "conversation_closed"
    conversation.status = "open"
    conversation.save()
    assert send(api_client, conversation, "retry-me").status_code == 201
    assert outbound(conversation) == 1


def test_answers_are_kept_24_hours(api_client, conversation):
    send(api_client, conversation, "daily")
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert send(api_client, conversation, "daily").status_code == 201
    assert outbound(conversation) == 2
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert idempotency_keys_purge() == 1
    assert not IdempotencyKey.objects.exists()


@pytest.mark.parametrize("key", ["", "x" * 256, "naïve", "tab\there"])
def test_malformed_keys_are_refused(api_client, conversation, key):
    response = send(api_client, conversation, key)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_idempotency_key"
    assert outbound(conversation) == 0


def test_attachments_replay_by_their_bytes(
    api_client, conversation, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = str(tmp_path)
    url = f"/api/v1/conversations/{conversation.id}/attachments/"

    def upload(content: bytes):
        return api_client.post(
            url,
            {"files": [SimpleUploadedFile("a.txt", content, "text/plain")]},
            format="multipart",
            HTTP_IDEMPOTENCY_KEY="upload-1",
        )

    first = upload(b"hello file")
    assert first.status_code == 201, first.content
    assert upload(b"hello file").json() == first.json()
    assert upload(b"other bytes").status_code == 422
    assert outbound(conversation) == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicates_do_not_both_send(monkeypatch, business):
    from tests.factories import ConversationFactory

    agent = UserFactory(username="carol")
    MembershipFactory(user=agent, business=business)
    token = Token.objects.create(user=agent).key
    conversation = ConversationFactory(customer__business=business)
    first_inside = threading.Event()
    second_done = threading.Event()
    real_send = services.message_send

    def slow_send(**kwargs):
        # The first request holds here until the duplicate has had its answer.
        first_inside.set()
        second_done.wait(10)
        return real_send(**kwargs)

    monkeypatch.setattr(services, "message_send", slow_send)
    answers: dict[str, int] = {}

    def post(name: str) -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        try:
            answers[name] = send(client, conversation, "same-time").status_code
        finally:
            connection.close()

    first = threading.Thread(target=post, args=("first",))
    first.start()
    assert first_inside.wait(10)
    post("second")
    second_done.set()
    first.join(15)
    assert answers == {"first": 201, "second": 409}
    assert outbound(conversation) == 1
    replay = APIClient()
    replay.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert send(replay, conversation, "same-time").status_code == 201
    assert outbound(conversation) == 1
