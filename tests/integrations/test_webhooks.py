from __future__ import annotations

import pytest
from django.test import Client

from conversations.models import Message
from integrations import services
from integrations.models import WebhookDelivery, WebhookEndpoint
from integrations.tasks import webhook_deliver
from tests.helpers import django_headers, inbound_body, inbound_request
from tests.integrations.stand_ins import WEBHOOK_SECRET, StandIn, verify_signature

pytestmark = pytest.mark.django_db


def post_inbound(conversation, type_: str, **fields) -> None:
    body = inbound_body(
        business_id=conversation.business.apple_id,
        customer_id=conversation.customer.apple_id,
        type_=type_,
        **fields,
    )
    data, headers = inbound_request(body)
    response = Client().post(
        "/message",
        data=data,
        content_type="application/json",
        headers=django_headers(headers),
    )
    assert response.status_code == 200


def test_customer_message_is_delivered_signed(
    conversation, endpoint, stand_in: StandIn, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        post_inbound(conversation, "text", body="Is my bike ready?")
    received = stand_in.received("/hooks")
    assert len(received) == 1
    hook = received[0]
    assert verify_signature(WEBHOOK_SECRET, hook.headers["x-msp-signature"], hook.body)
    assert hook.headers["x-msp-event"] == "message.created"
    event = hook.json
    assert event["type"] == "message.created"
    assert event["business"] == conversation.business.apple_id
    assert event["data"]["message"]["text"] == "Is my bike ready?"
    assert hook.headers["x-msp-delivery"] == event["id"]
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == (
        WebhookDelivery.Status.SUCCEEDED,
        1,
        200,
    )


def test_a_tampered_body_fails_the_receivers_check(endpoint, stand_in) -> None:
    services.webhook_emit(
        business_id=endpoint.business_id, event="payment", data={"a": 1}
    )
    webhook_deliver.delay(WebhookDelivery.objects.get().id)
    hook = stand_in.received("/hooks")[0]
    assert not verify_signature(
        WEBHOOK_SECRET, hook.headers["x-msp-signature"], hook.body + b" "
    )
    assert not verify_signature(
        "other-secret", hook.headers["x-msp-signature"], hook.body
    )


def test_server_errors_are_retried_until_delivered(endpoint, stand_in) -> None:
    stand_in.hook_failures.extend([500, 503])
    (delivery_id,) = services.webhook_emit(
        business_id=endpoint.business_id, event="payment", data={"payment": 1}
    )
    webhook_deliver.delay(delivery_id)  # eager: the retries run at once
    delivery = WebhookDelivery.objects.get(id=delivery_id)
    assert delivery.status == WebhookDelivery.Status.SUCCEEDED
    assert delivery.attempts == 3
    assert delivery.response_code == 200
    ids = {r.headers["x-msp-delivery"] for r in stand_in.received("/hooks")}
    assert len(ids) == 1  # every retry carries the same event id


def test_client_errors_are_not_retried(endpoint, stand_in) -> None:
    stand_in.hook_failures.append(410)
    (delivery_id,) = services.webhook_emit(
        business_id=endpoint.business_id, event="payment", data={}
    )
    webhook_deliver.delay(delivery_id)
    delivery = WebhookDelivery.objects.get(id=delivery_id)
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert delivery.attempts == 1
    assert delivery.response_code == 410


def test_delivery_fails_after_the_last_retry(endpoint, stand_in) -> None:
    stand_in.hook_failures.extend([500] * 10)
    (delivery_id,) = services.webhook_emit(
        business_id=endpoint.business_id, event="payment", data={}
    )
    webhook_deliver.delay(delivery_id)
    delivery = WebhookDelivery.objects.get(id=delivery_id)
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert delivery.attempts == 7  # the first try and six retries
    assert "500" in delivery.error


def test_delivered_rows_are_not_sent_again(endpoint, stand_in) -> None:
    (delivery_id,) = services.webhook_emit(
        business_id=endpoint.business_id, event="payment", data={}
    )
    services.webhook_deliver(delivery_id=delivery_id)
    services.webhook_deliver(delivery_id=delivery_id)
    assert len(stand_in.received("/hooks")) == 1


def test_only_subscribed_active_endpoints_get_the_event(
    business, endpoint, stand_in
) -> None:
    WebhookEndpoint.objects.create(
        business=business,
        url=f"{stand_in.url}/hooks",
        secret="x",
        event_types=["signin"],
    )
    WebhookEndpoint.objects.create(
        business=business,
        url=f"{stand_in.url}/hooks",
        secret="x",
        event_types=["payment"],
        is_active=False,
    )
    assert (
        len(services.webhook_emit(business_id=business.id, event="payment", data={}))
        == 1
    )


def test_closing_emits_conversation_closed(
    conversation, endpoint, stand_in, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        post_inbound(conversation, "close")
    events = [r.json for r in stand_in.received("/hooks")]
    assert [e["type"] for e in events] == ["conversation.closed"]
    assert events[0]["data"]["conversation"] == conversation.id


def test_our_own_console_lines_are_not_customer_messages(
    conversation, endpoint, stand_in
) -> None:
    message = Message.objects.create(
        conversation=conversation,
        direction=Message.Direction.OUT,
        body="hi",
        status=Message.Status.SENT,
    )
    services.inbound_message_handle(message_id=message.id)
    assert stand_in.received("/hooks") == []


def test_handling_a_message_twice_delivers_once(
    conversation, endpoint, stand_in, django_capture_on_commit_callbacks
) -> None:
    message = Message.objects.create(
        conversation=conversation,
        direction=Message.Direction.IN,
        body="twice",
        status=Message.Status.RECEIVED,
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.inbound_message_handle(message_id=message.id)
        services.inbound_message_handle(message_id=message.id)
    assert WebhookDelivery.objects.count() == 1
    assert len(stand_in.received("/hooks")) == 1


def test_sweeper_requeues_deliveries_whose_worker_died(endpoint, stand_in) -> None:
    from datetime import timedelta

    from django.utils import timezone

    (delivery_id,) = services.webhook_emit(
        business_id=endpoint.business_id, event="payment", data={}
    )
    WebhookDelivery.objects.filter(id=delivery_id).update(
        status=WebhookDelivery.Status.DELIVERING,
        attempts=1,
        last_attempt_at=timezone.now() - timedelta(minutes=5),
    )
    assert services.webhook_requeue_stuck() == 1
    delivery = WebhookDelivery.objects.get(id=delivery_id)
    assert delivery.status == WebhookDelivery.Status.SUCCEEDED
    assert delivery.attempts == 2
