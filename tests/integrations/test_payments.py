from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from conversations.models import Message
from integrations.models import Payment
from tests.integrations.contract import assert_matches_contract
from tests.integrations.stand_ins import StandIn

pytestmark = pytest.mark.django_db


def device_post(url: str, *, token_key: str = "paymentToken", **extra: Any) -> Any:  # noqa: S107
    """What the Apple Pay sheet posts to paymentGatewayUrl, as Apple's samples
    show it: the token under ``payment.paymentToken`` (sandbox/interactive.py)."""
    body = {
        "payment": {
            token_key: {
                "paymentData": {"version": "EC_v1", "data": "ZGF0YQ=="},
                "paymentMethod": {"displayName": "Visa 1234", "network": "Visa"},
                "transactionIdentifier": "ABC123",
            },
            "billingContact": {"givenName": "Sandy", "familyName": "Box"},
            **extra,
        }
    }
    return Client().post(url, data=json.dumps(body), content_type="application/json")


def send_payment(api_client, conversation, capture) -> dict[str, Any]:
    with capture(execute=True):
        response = api_client.post(
            f"/api/v1/conversations/{conversation.id}/payment/",
            {
                "line_items": [
                    {"label": "Bell", "amount": "12.50"},
                    {"label": "Light", "amount": "7.50"},
                ]
            },
            format="json",
        )
    assert response.status_code == 201, response.content
    return response.json()


def test_payment_request_carries_a_merchant_session_and_its_own_gateway_url(
    api_client,
    conversation,
    merchant,
    stand_in: StandIn,
    apple_gateway,
    django_capture_on_commit_callbacks,
) -> None:
    send_payment(api_client, conversation, django_capture_on_commit_callbacks)
    session_request = stand_in.received("/applepay/paymentSession")[-1].json
    payment = Payment.objects.get()
    gateway_url = f"http://testserver/integrations/pay/{payment.token}/"
    assert session_request == {
        "merchantIdentifier": "merchant.com.example.bikes",
        "displayName": "Acme Bikes",
        "initiative": "messaging",
        "initiativeContext": gateway_url,
    }
    wire = apple_gateway.requests[-1]
    assert wire.path.endswith("/message")
    sent = wire.json["interactiveData"]["data"]["payment"]
    assert sent["merchantSession"]["merchantSessionIdentifier"] == "SSH-stand-in"
    assert sent["endpoints"]["paymentGatewayUrl"] == gateway_url
    assert sent["paymentRequest"]["total"]["amount"] == "20.00"
    assert payment.amount == "20.00"
    assert payment.conversation == conversation


def test_gateway_hands_the_token_to_the_processor_and_answers_its_status(
    api_client,
    conversation,
    merchant,
    stand_in: StandIn,
    apple_gateway,
    endpoint,
    django_capture_on_commit_callbacks,
) -> None:
    send_payment(api_client, conversation, django_capture_on_commit_callbacks)
    payment = Payment.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = device_post(f"/integrations/pay/{payment.token}/")
    assert response.status_code == 200
    assert response.json() == {"status": "STATUS_SUCCESS"}
    handed = stand_in.received("/processor")[-1]
    assert handed.signature_ok
    assert handed.json["token"]["transactionIdentifier"] == "ABC123"
    assert handed.json["amount"] == "20.00"
    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED
    assert payment.payment_method == "Visa 1234"
    assert conversation.messages.filter(
        kind=Message.Kind.SYSTEM, body="Payment of 20.00 USD succeeded with Visa 1234"
    ).exists()
    payment_events = [
        r.json for r in stand_in.received("/hooks") if r.json["type"] == "payment"
    ]
    assert payment_events[0]["data"]["status"] == "succeeded"
    assert all(r.signature_ok for r in stand_in.received("/hooks"))
    for hook in stand_in.received("/hooks"):
        assert_matches_contract(hook.json)


def test_processor_failure_status_reaches_the_device(
    api_client,
    conversation,
    merchant,
    stand_in,
    apple_gateway,
    django_capture_on_commit_callbacks,
) -> None:
    stand_in.processor_status = "STATUS_INVALID_BILLING_POSTAL_ADDRESS"
    send_payment(api_client, conversation, django_capture_on_commit_callbacks)
    payment = Payment.objects.get()
    response = device_post(f"/integrations/pay/{payment.token}/")
    assert response.json() == {"status": "STATUS_INVALID_BILLING_POSTAL_ADDRESS"}
    payment.refresh_from_db()
    assert payment.status == Payment.Status.FAILED


def test_unreachable_processor_answers_failure(
    conversation, merchant, stand_in
) -> None:
    merchant.processor_url = "http://127.0.0.1:9/processor"
    merchant.save()
    payment = Payment.objects.create(
        business=conversation.business, conversation=conversation, amount="5.00"
    )
    response = device_post(f"/integrations/pay/{payment.token}/")
    assert response.json() == {"status": "STATUS_FAILURE"}
    payment.refresh_from_db()
    assert payment.status == Payment.Status.FAILED
    assert "unreachable" in payment.error


def test_a_repeated_post_is_not_charged_twice(conversation, merchant, stand_in) -> None:
    payment = Payment.objects.create(
        business=conversation.business, conversation=conversation, amount="5.00"
    )
    first = device_post(f"/integrations/pay/{payment.token}/")
    second = device_post(f"/integrations/pay/{payment.token}/")
    assert first.json() == second.json() == {"status": "STATUS_SUCCESS"}
    assert len(stand_in.received("/processor")) == 1


@pytest.mark.parametrize("token_key", ["paymentToken", "token"])
def test_the_documented_token_is_charged_once(
    conversation, merchant, stand_in, token_key
) -> None:
    payment = Payment.objects.create(
        business=conversation.business, conversation=conversation, amount="5.00"
    )
    first = device_post(f"/integrations/pay/{payment.token}/", token_key=token_key)
    again = device_post(f"/integrations/pay/{payment.token}/", token_key=token_key)
    assert first.json() == again.json() == {"status": "STATUS_SUCCESS"}
    charged = stand_in.received("/processor")
    assert len(charged) == 1
    assert charged[0].json["token"]["transactionIdentifier"] == "ABC123"
    assert charged[0].json["token"]["paymentData"]["version"] == "EC_v1"
    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED
    assert payment.transaction_identifier == "ABC123"


def test_a_post_without_a_token_object_is_not_charged(
    conversation, merchant, stand_in
) -> None:
    payment = Payment.objects.create(
        business=conversation.business, conversation=conversation, amount="5.00"
    )
    body = {"payment": {"paymentToken": "not an object"}}
    response = Client().post(
        f"/integrations/pay/{payment.token}/",
        data=json.dumps(body),
        content_type="application/json",
    )
    assert response.json()["status"] == "STATUS_FAILURE"
    assert stand_in.received("/processor") == []


def test_business_gateway_url_records_a_payment_without_a_conversation(
    business, merchant, stand_in
) -> None:
    from integrations.selectors import merchant_settings_for

    settings_ = merchant_settings_for(business)
    assert settings_.payment_gateway_url == (
        f"http://msp.test/integrations/pay/{merchant.gateway_token}/"
    )
    response = device_post(f"/integrations/pay/{merchant.gateway_token}/")
    assert response.json() == {"status": "STATUS_SUCCESS"}
    assert Payment.objects.get().transaction_identifier == "ABC123"


@pytest.mark.parametrize("body", [b"not json", b"[]"])
def test_gateway_refuses_garbage(body: bytes, merchant) -> None:
    response = Client().post(
        f"/integrations/pay/{merchant.gateway_token}/",
        data=body,
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json() == {"status": "STATUS_FAILURE"}


def test_unknown_gateway_token_is_not_found(db) -> None:
    response = device_post("/integrations/pay/nope/")
    assert response.status_code == 404
    assert response.json() == {"status": "STATUS_FAILURE"}


def test_refused_merchant_session_is_a_clear_error(
    api_client, conversation, merchant, settings
) -> None:
    settings.APPLE_PAY_SESSION_URL = "http://127.0.0.1:9/paymentSession"
    response = api_client.post(
        f"/api/v1/conversations/{conversation.id}/payment/",
        {"line_items": [{"label": "Bell", "amount": "1.00"}]},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "merchant_session_failed"
    assert not conversation.messages.filter(direction="out").exists()
