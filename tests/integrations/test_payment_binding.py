"""The Apple Pay gateway fails closed, is rate limited, and binds a device token
to one payment (issue 13, item 10)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from integrations.models import Payment
from tests.integrations.stand_ins import StandIn

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    cache.clear()


def device_post(url: str, transaction: str = "ABC123", **extra: Any) -> Any:
    body = {
        "payment": {
            "token": {
                "paymentData": {"version": "EC_v1", "data": "ZGF0YQ=="},
                "paymentMethod": {"displayName": "Visa 1234", "network": "Visa"},
                "transactionIdentifier": transaction,
            },
            **extra,
        }
    }
    return Client().post(url, data=json.dumps(body), content_type="application/json")


def pending_payment(conversation, request_identifier: str = "req-1") -> Payment:
    return Payment.objects.create(
        business=conversation.business,
        conversation=conversation,
        amount="5.00",
        request_identifier=request_identifier,
    )


def test_a_processor_2xx_without_a_status_is_a_failure(
    conversation, merchant, stand_in: StandIn
) -> None:
    stand_in.processor_status = None
    payment = pending_payment(conversation)
    response = device_post(f"/integrations/pay/{payment.token}/")
    assert response.json() == {"status": "STATUS_FAILURE"}
    payment.refresh_from_db()
    assert payment.status == Payment.Status.FAILED
    assert payment.error == "the processor answered without a status"


def test_an_unknown_processor_status_is_a_failure(
    conversation, merchant, stand_in: StandIn
) -> None:
    stand_in.processor_status = "OK"
    payment = pending_payment(conversation)
    assert device_post(f"/integrations/pay/{payment.token}/").json() == {
        "status": "STATUS_FAILURE"
    }


def test_a_device_token_posted_to_another_payment_is_refused(
    conversation, merchant, stand_in: StandIn
) -> None:
    first = pending_payment(conversation, "req-1")
    second = pending_payment(conversation, "req-2")
    assert device_post(f"/integrations/pay/{first.token}/").json() == {
        "status": "STATUS_SUCCESS"
    }
    # The same captured token, replayed at another payment's URL…
    moved = device_post(f"/integrations/pay/{second.token}/")
    assert moved.status_code == 409
    assert moved.json() == {"status": "STATUS_FAILURE"}
    # …and at the business-wide URL.
    wide = device_post(f"/integrations/pay/{merchant.gateway_token}/")
    assert wide.status_code == 409
    assert len(stand_in.received("/processor")) == 1
    second.refresh_from_db()
    assert second.status == Payment.Status.PENDING
    assert Payment.objects.count() == 2


def test_another_token_after_completion_is_refused(
    conversation, merchant, stand_in: StandIn
) -> None:
    payment = pending_payment(conversation)
    assert device_post(f"/integrations/pay/{payment.token}/").status_code == 200
    # The device's own retry gets the recorded answer, without a second charge.
    retry = device_post(f"/integrations/pay/{payment.token}/")
    assert retry.json() == {"status": "STATUS_SUCCESS"}
    replay = device_post(f"/integrations/pay/{payment.token}/", transaction="OTHER")
    assert replay.status_code == 409
    assert replay.json() == {"status": "STATUS_FAILURE"}
    assert len(stand_in.received("/processor")) == 1


def test_a_post_naming_another_request_is_refused(
    conversation, merchant, stand_in: StandIn
) -> None:
    payment = pending_payment(conversation, "req-1")
    pending_payment(conversation, "req-2")
    wrong = device_post(
        f"/integrations/pay/{payment.token}/", requestIdentifier="req-2"
    )
    assert wrong.status_code == 409
    # A request of ours is paid at its own URL, not the business-wide one.
    wide = device_post(
        f"/integrations/pay/{merchant.gateway_token}/", requestIdentifier="req-1"
    )
    assert wide.status_code == 409
    assert stand_in.received("/processor") == []
    right = device_post(
        f"/integrations/pay/{payment.token}/", requestIdentifier="req-1"
    )
    assert right.json() == {"status": "STATUS_SUCCESS"}


def test_the_business_wide_token_is_rate_limited(
    merchant, stand_in: StandIn, settings
) -> None:
    settings.PAYMENT_GATEWAY_RATE_LIMIT = "3/m"
    url = f"/integrations/pay/{merchant.gateway_token}/"
    statuses = [device_post(url, transaction=f"T{i}").status_code for i in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    assert len(stand_in.received("/processor")) == 3
