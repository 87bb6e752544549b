"""Sign-in and Apple Pay objects sent from the rich-object library (richobjects.channel)."""

from __future__ import annotations

import pytest

from conversations import services as conversation_services
from conversations.exceptions import ApplicationError
from integrations.models import CustomerIdentity, Payment
from richobjects import services as rich_services
from richobjects.models import RichObject
from tests.integrations.test_crypto import device_encrypt
from tests.integrations.test_payments import device_post
from tests.integrations.test_signin import auth_reply, post_reply

pytestmark = pytest.mark.django_db


def send(conversation, agent, kind: str, spec: dict) -> dict:
    rich_object = rich_services.rich_object_publish(
        rich_object=rich_services.rich_object_create(
            business=conversation.business, name=kind, kind=kind, spec=spec
        )
    )
    message = rich_services.rich_object_send(
        conversation=conversation, object_or_version=rich_object, sender=agent
    )
    conversation_services.message_deliver(message_id=message.id)
    return message.raw["interactiveData"]


def test_library_legacy_signin_is_completed(
    conversation,
    agent,
    oauth_provider,
    stand_in,
    apple_gateway,
    django_capture_on_commit_callbacks,
) -> None:
    payload = send(
        conversation,
        agent,
        RichObject.Kind.AUTHENTICATION_LEGACY,
        {
            "received": {"title": "Sign in to Acme"},
            "scope": ["profile"],
            "redirect_uri": "https://acme.example/cb",
        },
    )
    oauth2 = payload["data"]["authenticate"]["oauth2"]
    assert oauth2["redirectURI"] == "http://msp.test/integrations/oauth/redirect/"
    token = device_encrypt(oauth2["responseEncryptionKey"], b"sandbox-code-q.carol")
    with django_capture_on_commit_callbacks(execute=True):
        post_reply(
            conversation,
            auth_reply(
                payload["data"]["requestIdentifier"], state=oauth2["state"], token=token
            ),
        )
    identity = CustomerIdentity.objects.get(customer=conversation.customer)
    assert identity.external_user_id == "carol"


def test_library_signin_with_a_forged_state_is_rejected(
    conversation,
    agent,
    oauth_provider,
    stand_in,
    apple_gateway,
    django_capture_on_commit_callbacks,
) -> None:
    payload = send(
        conversation,
        agent,
        RichObject.Kind.AUTHENTICATION,
        {
            "received": {"title": "Sign in"},
            "scope": ["profile"],
            "redirect_uri": "https://acme.example/cb",
        },
    )
    with django_capture_on_commit_callbacks(execute=True):
        post_reply(
            conversation,
            auth_reply(
                payload["data"]["requestIdentifier"],
                state="not-the-state",
                token="sandbox-code-q.eve",
            ),
        )
    assert not CustomerIdentity.objects.exists()
    assert stand_in.received("/oauth/token") == []


ORDER = {
    "received": {"title": "Order {{ order }}"},
    "line_items": [
        {"label": "Bell", "amount": "9.00"},
        {"label": "Light", "amount": "7.5"},
    ],
}


def publish(conversation, kind: str, spec: dict) -> RichObject:
    return rich_services.rich_object_publish(
        rich_object=rich_services.rich_object_create(
            business=conversation.business, name=kind, kind=kind, spec=spec
        )
    )


def paid_reply(payload: dict) -> dict:
    return {
        "bid": payload["bid"],
        "data": {
            "version": "1.0",
            "requestIdentifier": payload["data"]["requestIdentifier"],
            "payment": {
                "status": "STATUS_SUCCESS",
                "paymentToken": {"transactionIdentifier": "ABC123"},
            },
        },
        "receivedMessage": {"title": "Paid"},
    }


def test_library_payment_is_recorded_with_its_total_before_the_device_pays(
    conversation,
    agent,
    merchant,
    stand_in,
    apple_gateway,
    django_capture_on_commit_callbacks,
) -> None:
    message = rich_services.rich_object_send(
        conversation=conversation,
        object_or_version=publish(conversation, RichObject.Kind.APPLE_PAY, ORDER),
        params={"order": "42"},
        sender=agent,
    )
    payload = message.raw["interactiveData"]
    request_identifier = payload["data"]["requestIdentifier"]

    # Before anyone pays: the rendered total, the bubble's request identifier,
    # this conversation, and a gateway URL that is this payment's own.
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.PENDING
    assert payment.amount == "16.50"
    assert payment.currency == "USD"
    assert payment.request_identifier == request_identifier
    assert payment.request_identifier == message.request_identifier
    assert payment.conversation == conversation
    gateway_url = payload["data"]["payment"]["endpoints"]["paymentGatewayUrl"]
    assert gateway_url == f"http://msp.test/integrations/pay/{payment.token}/"
    assert payment.token != merchant.gateway_token
    session = stand_in.received("/applepay/paymentSession")[-1].json
    assert session["initiativeContext"] == gateway_url
    assert "merchantSession" in payload["data"]["payment"]

    conversation_services.message_deliver(message_id=message.id)
    with django_capture_on_commit_callbacks(execute=True):
        answer = device_post(gateway_url.removeprefix("http://msp.test"))
    assert answer.json() == {"status": "STATUS_SUCCESS"}
    # The processor hears the amount and request identifier on the first post.
    handed = stand_in.received("/processor")[-1].json
    assert handed["payment_id"] == payment.id
    assert handed["amount"] == "16.50"
    assert handed["currency"] == "USD"
    assert handed["request_identifier"] == request_identifier
    assert Payment.objects.count() == 1
    assert conversation.messages.filter(
        body="Payment of 16.50 USD succeeded with Visa 1234"
    ).exists()

    # The device's reply then finds the payment already linked: shown once.
    with django_capture_on_commit_callbacks(execute=True):
        post_reply(conversation, paid_reply(payload))
    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED
    assert (
        conversation.messages.filter(
            body="Payment of 16.50 USD succeeded with Visa 1234"
        ).count()
        == 1
    )


def test_library_payment_is_failed_when_its_bubble_cannot_be_queued(
    conversation, agent, merchant, stand_in, monkeypatch
) -> None:
    def refuse(**kwargs):
        raise ApplicationError("The conversation is closed.", code="closed")

    monkeypatch.setattr(rich_services.send, "message_queue", refuse)
    with pytest.raises(ApplicationError):
        rich_services.rich_object_send(
            conversation=conversation,
            object_or_version=publish(conversation, RichObject.Kind.APPLE_PAY, ORDER),
            params={"order": "42"},
            sender=agent,
        )
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.FAILED
    assert "not sent: The conversation is closed." in payment.error
    assert device_post(f"/integrations/pay/{payment.token}/").json() == {
        "status": "STATUS_FAILURE"
    }
    assert stand_in.received("/processor") == []


def test_library_payment_with_a_broken_spec_records_nothing(
    conversation, agent, merchant, stand_in
) -> None:
    with pytest.raises(ApplicationError) as caught:
        rich_services.rich_object_send(
            conversation=conversation,
            object_or_version=publish(conversation, RichObject.Kind.APPLE_PAY, ORDER),
            sender=agent,
        )
    assert caught.value.code == "rich_object_invalid"
    assert "order" in caught.value.message
    assert not Payment.objects.exists()
    assert stand_in.received("/applepay/paymentSession") == []


def test_business_wide_gateway_url_still_takes_payments_sent_before(
    conversation,
    agent,
    merchant,
    stand_in,
    apple_gateway,
    django_capture_on_commit_callbacks,
) -> None:
    # Bubbles sent before per-payment URLs named the business's gateway URL; a
    # device paying one of those is still charged and linked by its reply.
    payload = send(
        conversation,
        agent,
        RichObject.Kind.APPLE_PAY,
        {
            "received": {"title": "Order"},
            "line_items": [{"label": "Bell", "amount": "9.00"}],
        },
    )
    prepared = Payment.objects.get()
    old_url = f"/integrations/pay/{merchant.gateway_token}/"
    assert device_post(old_url).json() == {"status": "STATUS_SUCCESS"}
    with django_capture_on_commit_callbacks(execute=True):
        post_reply(conversation, paid_reply(payload))
    payment = Payment.objects.exclude(id=prepared.id).get()
    assert payment.conversation == conversation
    assert payment.amount == "9.00"
    assert conversation.messages.filter(
        body="Payment of 9.00 USD succeeded with Visa 1234"
    ).exists()


def test_api_send_without_public_base_url_uses_the_request_host(
    api_client,
    conversation,
    merchant,
    oauth_provider,
    stand_in,
    settings,
    django_capture_on_commit_callbacks,
) -> None:
    settings.PUBLIC_BASE_URL = ""
    pay = publish(conversation, RichObject.Kind.APPLE_PAY, ORDER)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(
            f"/api/v1/conversations/{conversation.id}/rich/",
            {"object": pay.id, "params": {"order": "42"}},
            format="json",
            HTTP_HOST="console.acme.example",
        )
    assert response.status_code == 201, response.content
    payment = Payment.objects.get()
    message = conversation.messages.get(id=response.json()["id"])
    endpoints = message.raw["interactiveData"]["data"]["payment"]["endpoints"]
    assert endpoints["paymentGatewayUrl"] == (
        f"http://console.acme.example/integrations/pay/{payment.token}/"
    )

    signin = publish(
        conversation,
        RichObject.Kind.AUTHENTICATION,
        {
            "received": {"title": "Sign in"},
            "scope": ["profile"],
            "redirect_uri": "https://acme.example/cb",
        },
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(
            f"/api/v1/conversations/{conversation.id}/rich/",
            {"object": signin.id},
            format="json",
            HTTP_HOST="console.acme.example",
        )
    assert response.status_code == 201, response.content
    message = conversation.messages.get(id=response.json()["id"])
    oauth2 = message.raw["interactiveData"]["data"]["authenticate"]["oauth2"]
    assert oauth2["redirectURI"] == (
        "http://console.acme.example/integrations/oauth/redirect/"
    )


def test_service_send_without_request_or_public_base_url_is_a_clear_400(
    conversation, agent, merchant, oauth_provider, stand_in, settings
) -> None:
    settings.PUBLIC_BASE_URL = ""
    for kind, spec in (
        (RichObject.Kind.APPLE_PAY, ORDER),
        (
            RichObject.Kind.AUTHENTICATION,
            {"scope": ["profile"], "redirect_uri": "https://acme.example/cb"},
        ),
    ):
        with pytest.raises(ApplicationError) as caught:
            rich_services.rich_object_send(
                conversation=conversation,
                object_or_version=publish(conversation, kind, spec),
                params={"order": "42"},
                sender=None,
                auto_reply=True,
            )
        assert caught.value.status_code == 400
        assert caught.value.code == "public_base_url_missing"
        assert "set PUBLIC_BASE_URL" in caught.value.message.lower().replace(
            "set public_base_url", "set PUBLIC_BASE_URL"
        )
    assert not Payment.objects.exists()
    assert not conversation.messages.exists()
    assert stand_in.received("/applepay/paymentSession") == []
