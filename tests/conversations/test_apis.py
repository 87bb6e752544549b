from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from conversations.models import Conversation, Message
from tests.factories import (
    BusinessFactory,
    ConversationFactory,
    MembershipFactory,
    MessageFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def test_anonymous_requests_are_refused(conversation):
    response = APIClient().get("/api/v1/conversations/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_conversation_list_shows_only_my_businesses(api_client, conversation):
    ConversationFactory()  # another business's conversation
    response = api_client.get("/api/v1/conversations/")
    assert response.status_code == 200
    ids = [c["id"] for c in response.json()["results"]]
    assert ids == [conversation.id]
    item = response.json()["results"][0]
    assert item["customer"]["apple_id"] == conversation.customer.apple_id
    assert item["status"] == "open"


def test_conversation_list_filters_by_business_and_status(
    api_client, agent, conversation
):
    other_business = BusinessFactory()
    MembershipFactory(user=agent, business=other_business)
    closed = ConversationFactory(customer__business=other_business, status="closed")
    by_apple_id = api_client.get(
        f"/api/v1/conversations/?business={other_business.apple_id}"
    )
    assert [c["id"] for c in by_apple_id.json()["results"]] == [closed.id]
    by_status = api_client.get("/api/v1/conversations/?status=open")
    assert [c["id"] for c in by_status.json()["results"]] == [conversation.id]
    bad = api_client.get("/api/v1/conversations/?status=nonsense")
    assert bad.status_code == 400
    assert "status" in bad.json()["error"]["fields"]


def test_message_list_resyncs_after_an_id(api_client, conversation):
    first, second, third = (MessageFactory(conversation=conversation) for _ in range(3))
    response = api_client.get(
        f"/api/v1/conversations/{conversation.id}/messages/?after={first.id}"
    )
    assert response.status_code == 200
    assert [m["id"] for m in response.json()["results"]] == [second.id, third.id]
    message = response.json()["results"][0]
    assert set(message) >= {
        "id",
        "apple_id",
        "direction",
        "kind",
        "text",
        "status",
        "created_at",
    }


def test_message_list_pages_with_a_cursor(api_client, conversation):
    # Was {results, has_more}; every list now answers {results, next, previous}.
    messages = [MessageFactory(conversation=conversation) for _ in range(5)]
    response = api_client.get(
        f"/api/v1/conversations/{conversation.id}/messages/?limit=3"
    )
    page = response.json()
    assert set(page) == {"results", "next", "previous"}
    assert [m["id"] for m in page["results"]] == [m.id for m in messages[:3]]
    assert page["previous"] is None
    rest = api_client.get(page["next"]).json()
    assert [m["id"] for m in rest["results"]] == [m.id for m in messages[3:]]
    assert rest["next"] is None


def test_every_list_has_the_same_shape(api_client, conversation):
    for url in (
        "/api/v1/businesses/",
        "/api/v1/conversations/",
        f"/api/v1/conversations/{conversation.id}/messages/",
        "/api/v1/rich-objects/",
    ):
        page = api_client.get(url).json()
        assert set(page) == {"results", "next", "previous"}, url


def test_conversations_page_by_latest_activity_without_losing_any(api_client, business):
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    # Some never had a message: they sort by when they started.
    made = [
        ConversationFactory(
            customer__business=business,
            last_message_at=None if i % 2 else now - timedelta(minutes=i),
        )
        for i in range(7)
    ]
    seen: list[int] = []
    url: str | None = "/api/v1/conversations/?limit=2"
    while url:
        page = api_client.get(url).json()
        seen += [c["id"] for c in page["results"]]
        url = page["next"]
    assert sorted(seen) == sorted(c.id for c in made)
    assert len(seen) == len(set(seen))


def test_bad_page_inputs_are_400s(api_client, conversation):
    for query in ("limit=0", "limit=501", "limit=x", "cursor=nonsense"):
        response = api_client.get(f"/api/v1/conversations/?{query}")
        assert response.status_code == 400, query
        assert response.json()["error"]["code"] == "invalid"


def test_foreign_conversation_is_404_everywhere(api_client):
    foreign = ConversationFactory()
    message = MessageFactory(conversation=foreign)
    assert api_client.get(f"/api/v1/conversations/{foreign.id}/").status_code == 404
    assert (
        api_client.get(f"/api/v1/conversations/{foreign.id}/messages/").status_code
        == 404
    )
    sent = api_client.post(
        f"/api/v1/conversations/{foreign.id}/messages/", {"text": "hi"}, format="json"
    )
    assert sent.status_code == 404
    assert api_client.get(f"/api/v1/messages/{message.id}/").status_code == 404
    assert not Message.objects.filter(body="hi").exists()


@pytest.mark.django_db(transaction=True)
def test_send_creates_a_message_and_returns_201(
    api_client, conversation, apple_gateway
):
    response = api_client.post(
        f"/api/v1/conversations/{conversation.id}/messages/",
        {"text": "Hello 👋 مرحبا"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["direction"] == "out"
    assert data["text"] == "Hello 👋 مرحبا"
    assert data["kind"] == "text"
    fetched = api_client.get(f"/api/v1/messages/{data['id']}/").json()
    assert fetched["status"] == "sent"  # eager Celery delivered it to the stand-in
    assert len(apple_gateway.requests) == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [({}, "text"), ({"text": ""}, "text"), ({"text": "x" * 10_001}, "text")],
)
def test_send_rejects_bad_input_with_field_errors(
    api_client, conversation, payload, field
):
    response = api_client.post(
        f"/api/v1/conversations/{conversation.id}/messages/", payload, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_send_rejects_whitespace_only_text(api_client, conversation):
    response = api_client.post(
        f"/api/v1/conversations/{conversation.id}/messages/",
        {"text": "   "},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "empty_text"


def test_send_to_closed_conversation_is_409_and_nothing_goes_out(
    api_client, conversation, apple_gateway
):
    Conversation.objects.filter(pk=conversation.pk).update(
        status=Conversation.Status.CLOSED
    )
    response = api_client.post(
        f"/api/v1/conversations/{conversation.id}/messages/",
        {"text": "hello?"},
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conversation_closed"
    assert "closed" in response.json()["error"]["message"]
    assert apple_gateway.requests == []
    assert not Message.objects.exists()


def test_malformed_json_is_a_clear_400(api_client, conversation):
    response = api_client.post(
        f"/api/v1/conversations/{conversation.id}/messages/",
        data="{not json",
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


@pytest.mark.django_db(transaction=True)
def test_retry_of_a_failed_message(api_client, conversation, apple_gateway):
    failed = MessageFactory(
        conversation=conversation, status="failed", last_error="boom"
    )
    response = api_client.post(f"/api/v1/messages/{failed.id}/retry/")
    assert response.status_code == 200
    failed.refresh_from_db()
    assert failed.status == "sent"
    again = api_client.post(f"/api/v1/messages/{failed.id}/retry/")
    assert again.status_code == 409


@pytest.mark.django_db(transaction=True)
def test_drop_of_a_paused_message_releases_the_next(
    api_client, conversation, apple_gateway
):
    paused = MessageFactory(
        conversation=conversation, status="paused", last_error="Apple answered 503"
    )
    waiting = MessageFactory(conversation=conversation, status="pending")
    assert api_client.get(f"/api/v1/messages/{paused.id}/").json()["status"] == (
        "paused"
    )
    response = api_client.post(f"/api/v1/messages/{paused.id}/drop/")
    assert response.status_code == 200
    assert response.json()["status"] == "failed"
    waiting.refresh_from_db()
    assert waiting.status == "sent"
    again = api_client.post(f"/api/v1/messages/{paused.id}/drop/")
    assert again.status_code == 409


@pytest.mark.django_db(transaction=True)
def test_retry_of_a_paused_message(api_client, conversation, apple_gateway):
    paused = MessageFactory(conversation=conversation, status="paused")
    response = api_client.post(f"/api/v1/messages/{paused.id}/retry/")
    assert response.status_code == 200
    paused.refresh_from_db()
    assert paused.status == "sent"


@pytest.mark.django_db(transaction=True)
def test_typing_endpoint_sends_typing_start(api_client, conversation, apple_gateway):
    response = api_client.post(
        f"/api/v1/conversations/{conversation.id}/typing/",
        {"typing": True},
        format="json",
    )
    assert response.status_code == 204
    assert apple_gateway.requests[0].json["type"] == "typing_start"


def test_schema_and_docs_are_served(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/conversations/" in schema.content
    assert client.get("/api/docs/").status_code == 200


def test_token_of_one_business_cannot_list_another(db):
    mine = ConversationFactory()
    theirs = ConversationFactory()
    user = UserFactory()
    MembershipFactory(user=user, business=mine.business)
    client = APIClient()
    client.force_authenticate(user)
    listed = client.get(f"/api/v1/conversations/?business={theirs.business.apple_id}")
    assert listed.json()["results"] == []
