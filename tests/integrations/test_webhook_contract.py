"""Outbound webhooks as a contract: Standard Webhooks headers a stock verifier
accepts, and bodies that match the schema's ``webhooks``."""

from __future__ import annotations

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from integrations import services
from integrations.crypto import standard_webhook_key
from integrations.models import WebhookDelivery, WebhookEndpoint
from integrations.tasks import webhook_deliver
from tests.integrations.contract import assert_matches_contract
from tests.integrations.stand_ins import WEBHOOK_SECRET, verify_signature
from tests.integrations.test_webhooks import post_inbound

pytestmark = pytest.mark.django_db


@pytest.fixture
def standard_endpoint(
    business, admin, stand_in, settings
) -> tuple[WebhookEndpoint, str]:
    settings.ALLOWED_PRIVATE_NETWORKS = ["127.0.0.0/8"]
    endpoint, secret = services.webhook_endpoint_create(
        business=business,
        actor=admin,
        url=f"{stand_in.url}/hooks",
        event_types=[e.value for e in WebhookEndpoint.Event],
    )
    return endpoint, secret


def test_a_delivery_verifies_with_the_stock_standard_webhooks_library(
    conversation, standard_endpoint, stand_in, django_capture_on_commit_callbacks
) -> None:
    _, secret = standard_endpoint
    assert secret.startswith("whsec_")
    with django_capture_on_commit_callbacks(execute=True):
        post_inbound(conversation, "text", body="Is my bike ready?")
    (hook,) = stand_in.received("/hooks")
    headers = {
        name: hook.headers[name]
        for name in ("webhook-id", "webhook-timestamp", "webhook-signature")
    }
    event = Webhook(secret).verify(hook.body, headers)
    assert event["data"]["message"]["text"] == "Is my bike ready?"
    assert headers["webhook-id"] == event["id"] == hook.headers["x-msp-delivery"]
    assert headers["webhook-signature"].startswith("v1,")
    # The existing scheme still signs the same body.
    assert verify_signature(secret, hook.headers["x-msp-signature"], hook.body)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(hook.body + b" ", headers)
    other = Webhook("whsec_" + "A" * 43 + "=")
    with pytest.raises(WebhookVerificationError):
        other.verify(hook.body, headers)


def test_older_secrets_verify_with_their_bytes(
    endpoint, stand_in, django_capture_on_commit_callbacks
) -> None:
    # Made before secrets were base64: the key is the secret's UTF-8 bytes.
    assert standard_webhook_key(WEBHOOK_SECRET) == WEBHOOK_SECRET.encode()
    services.webhook_emit(
        business_id=endpoint.business_id,
        event="payment",
        data={"payment": 1},
    )
    webhook_deliver.delay(WebhookDelivery.objects.get().id)
    (hook,) = stand_in.received("/hooks")
    Webhook(WEBHOOK_SECRET.encode()).verify(hook.body, dict(hook.headers))


def test_retries_keep_the_webhook_id(endpoint, stand_in) -> None:
    stand_in.hook_failures.extend([503])
    (delivery_id,) = services.webhook_emit(
        business_id=endpoint.business_id, event="payment", data={"payment": 1}
    )
    webhook_deliver.delay(delivery_id)
    ids = {r.headers["webhook-id"] for r in stand_in.received("/hooks")}
    assert len(stand_in.received("/hooks")) == 2
    assert ids == {str(WebhookDelivery.objects.get().event_id)}


def test_message_and_close_events_match_the_schema(
    conversation, endpoint, stand_in, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        post_inbound(conversation, "text", body="Hello")
    with django_capture_on_commit_callbacks(execute=True):
        post_inbound(conversation, "close")
    bodies = [r.json for r in stand_in.received("/hooks")]
    assert [b["type"] for b in bodies] == ["message.created", "conversation.closed"]
    for body in bodies:
        assert_matches_contract(body)


def test_a_body_off_the_contract_is_caught(conversation) -> None:
    # The check itself can fail: a field the schema does not document.
    body = {
        "id": "1b4e28ba-2fa1-11d2-883f-0016d3cca427",
        "type": "conversation.closed",
        "created_at": "2026-01-01T00:00:00Z",
        "business": "b",
        "data": {"conversation": 1, "customer": "c", "closed_at": None, "x": 1},
    }
    with pytest.raises(AssertionError, match="undocumented"):
        assert_matches_contract(body)
    body["data"].pop("x")
    assert_matches_contract(body)
    body["data"]["conversation"] = "one"
    with pytest.raises(AssertionError):
        assert_matches_contract(body)
