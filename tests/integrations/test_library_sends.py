"""Sign-in and Apple Pay objects sent from the rich-object library (richobjects.channel)."""

from __future__ import annotations

import pytest

from conversations import services as conversation_services
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


def test_library_payment_is_linked_to_its_conversation_by_the_reply(
    conversation,
    agent,
    merchant,
    stand_in,
    apple_gateway,
    django_capture_on_commit_callbacks,
) -> None:
    payload = send(
        conversation,
        agent,
        RichObject.Kind.APPLE_PAY,
        {
            "received": {"title": "Order"},
            "line_items": [{"label": "Bell", "amount": "9.00"}],
        },
    )
    gateway_url = payload["data"]["payment"]["endpoints"]["paymentGatewayUrl"]
    assert gateway_url == f"http://msp.test/integrations/pay/{merchant.gateway_token}/"
    session = stand_in.received("/applepay/paymentSession")[-1].json
    assert session["initiativeContext"] == gateway_url
    assert device_post(gateway_url.removeprefix("http://msp.test")).json() == {
        "status": "STATUS_SUCCESS"
    }
    reply = {
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
    with django_capture_on_commit_callbacks(execute=True):
        post_reply(conversation, reply)
    payment = Payment.objects.get()
    assert payment.conversation == conversation
    assert payment.amount == "9.00"
    assert conversation.messages.filter(
        body="Payment of 9.00 USD succeeded with Visa 1234"
    ).exists()
