"""Domain events: announced by the core after commit, heard by the features."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import transaction
from django.test import Client

from conversations import events
from conversations.models import Business
from tests.helpers import django_headers, inbound_body, inbound_request

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def heard() -> Iterator[list[events.Event]]:
    """Every event of the kinds the core announces, as listeners receive them."""
    seen: list[events.Event] = []
    kinds = [
        events.MessageReceived,
        events.ConversationStarted,
        events.ConversationClosedByCustomer,
        events.InteractiveReplyResolved,
        events.MessageStatusChanged,
    ]
    for kind in kinds:
        events.subscribe(kind, seen.append)
    yield seen
    for kind in kinds:
        events.unsubscribe(kind, seen.append)


def post_text(client: Client, business: Business, **fields) -> None:
    body = inbound_body(business_id=business.apple_id, **fields)
    data, headers = inbound_request(body)
    response = client.post(
        "/message",
        data=data,
        content_type="application/json",
        headers=django_headers(headers),
    )
    assert response.status_code == 200


def test_listeners_hear_an_event_only_after_commit(business, heard) -> None:
    event = events.ConversationClosedByCustomer(
        business_id=business.id, conversation_id=1
    )
    with transaction.atomic():
        events.publish(event)
        assert heard == []
    assert heard == [event]


def test_a_rolled_back_write_announces_nothing(business, heard) -> None:
    def write_that_fails() -> None:
        with transaction.atomic():
            events.publish(
                events.ConversationClosedByCustomer(
                    business_id=business.id, conversation_id=1
                )
            )
            raise RuntimeError("the write failed")

    with pytest.raises(RuntimeError):
        write_that_fails()
    assert heard == []


def test_a_failing_listener_does_not_stop_the_others(business, heard, caplog) -> None:
    def broken(event: events.Event) -> None:
        raise ValueError("listener bug")

    events.subscribe(events.ConversationClosedByCustomer, broken)
    try:
        events.publish(
            events.ConversationClosedByCustomer(
                business_id=business.id, conversation_id=7
            )
        )
    finally:
        events.unsubscribe(events.ConversationClosedByCustomer, broken)
    assert [e.conversation_id for e in heard] == [7]
    assert "events.listener_failed" in caplog.text


def test_subscribing_twice_delivers_once(business, heard) -> None:
    events.subscribe(events.ConversationClosedByCustomer, heard.append)
    events.publish(
        events.ConversationClosedByCustomer(business_id=business.id, conversation_id=3)
    )
    assert len(heard) == 1


def test_inbound_messages_announce_a_start_once_and_every_message(
    client: Client, business, heard
) -> None:
    post_text(client, business, body="Hello")
    post_text(client, business, body="Are you there?")
    started = [e for e in heard if isinstance(e, events.ConversationStarted)]
    received = [e for e in heard if isinstance(e, events.MessageReceived)]
    assert len(started) == 1
    assert len(received) == 2
    assert started[0].message_id == received[0].message_id
    assert {e.business_id for e in heard} == {business.id}
    assert not any(e.interactive for e in received)


def test_a_redelivery_announces_nothing_new(client: Client, business, heard) -> None:
    post_text(
        client,
        business,
        body="Hello",
        message_id="1b0f4e4c-1111-4a2b-9c3d-5e6f7a8b9c0d",
    )
    count = len(heard)
    post_text(
        client,
        business,
        body="Hello",
        message_id="1b0f4e4c-1111-4a2b-9c3d-5e6f7a8b9c0d",
    )
    assert len(heard) == count


def test_the_customer_closing_is_announced(client: Client, business, heard) -> None:
    post_text(client, business, body="Hello")
    body = inbound_body(business_id=business.apple_id, type_="close")
    data, headers = inbound_request(body)
    client.post(
        "/message",
        data=data,
        content_type="application/json",
        headers=django_headers(headers),
    )
    closed = [e for e in heard if isinstance(e, events.ConversationClosedByCustomer)]
    assert len(closed) == 1


def test_the_features_subscribe_at_start_up() -> None:
    from businesses import receivers as routing_receivers
    from integrations import receivers as integration_receivers

    assert routing_receivers.on_conversation_started in events.listeners(
        events.ConversationStarted
    )
    assert integration_receivers.on_message_received in events.listeners(
        events.MessageReceived
    )
    assert integration_receivers.on_conversation_closed in events.listeners(
        events.ConversationClosedByCustomer
    )
    assert integration_receivers.on_interactive_reply_resolved in events.listeners(
        events.InteractiveReplyResolved
    )
