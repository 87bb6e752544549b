from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from conversations.models import Conversation, Message
from integrations import services
from integrations.models import CustomerIdentity, SigninRequest, WebhookEndpoint
from tests.helpers import django_headers, inbound_body, inbound_request
from tests.integrations.contract import assert_matches_contract
from tests.integrations.stand_ins import StandIn
from tests.integrations.test_crypto import device_encrypt

pytestmark = pytest.mark.django_db


def post_reply(conversation: Conversation, interactive: dict[str, Any]) -> None:
    body = inbound_body(
        business_id=conversation.business.apple_id,
        customer_id=conversation.customer.apple_id,
        type_="interactive",
        interactiveData=interactive,
    )
    data, headers = inbound_request(body)
    response = Client().post(
        "/message",
        data=data,
        content_type="application/json",
        headers=django_headers(headers),
    )
    assert response.status_code == 200


def auth_reply(
    request_identifier: str, *, state: str, token: str, status: str = "authenticated"
) -> dict[str, Any]:
    return {
        "bid": "com.apple.messages.MSMessageExtensionBalloonPlugin:0000000000:com.apple.icloud.apps.messages.business.extension",
        "data": {
            "version": "1.0",
            "requestIdentifier": request_identifier,
            "authenticate": {"status": status, "state": state, "token": token},
        },
        "receivedMessage": {"title": "Signed in"},
    }


def send_signin(api_client, conversation, capture, *, legacy: bool) -> dict[str, Any]:
    with capture(execute=True):
        response = api_client.post(
            f"/api/v1/conversations/{conversation.id}/signin/",
            {"legacy": legacy},
            format="json",
        )
    assert response.status_code == 201, response.content
    return response.json()


def test_legacy_signin_decrypts_the_token_exchanges_the_code_and_links_the_customer(
    api_client,
    conversation,
    oauth_provider,
    stand_in: StandIn,
    apple_gateway,
    endpoint,
    django_capture_on_commit_callbacks,
) -> None:
    sent = send_signin(
        api_client, conversation, django_capture_on_commit_callbacks, legacy=True
    )
    wire = apple_gateway.requests[-1]
    assert wire.path.endswith("/authenticate")
    oauth2 = wire.json["interactiveData"]["data"]["authenticate"]["oauth2"]
    signin = SigninRequest.objects.get()
    assert oauth2["state"] == signin.state
    assert oauth2["scope"] == ["openid", "profile"]
    assert oauth2["redirectURI"] == "http://testserver/integrations/oauth/redirect/"
    token = device_encrypt(oauth2["responseEncryptionKey"], b"sandbox-code-xyz.alice")

    with django_capture_on_commit_callbacks(execute=True):
        post_reply(
            conversation,
            auth_reply(sent["request_identifier"], state=signin.state, token=token),
        )

    identity = CustomerIdentity.objects.get(customer=conversation.customer)
    assert identity.external_user_id == "alice"
    assert identity.display_name == "Alice"
    assert identity.access_token == "at-alice"
    signin.refresh_from_db()
    assert signin.status == SigninRequest.Status.LINKED
    exchange = stand_in.received("/oauth/token")[-1]
    assert b"code=sandbox-code-xyz.alice" in exchange.body
    assert conversation.messages.filter(
        kind=Message.Kind.SYSTEM, body="Signed in as Alice (alice)"
    ).exists()
    events = [r.json["type"] for r in stand_in.received("/hooks")]
    assert "signin" in events
    assert "interactive.reply" in events
    for hook in stand_in.received("/hooks"):
        assert_matches_contract(hook.json)


def test_signin_request_carries_the_providers_signed_in_bubble(
    api_client,
    conversation,
    oauth_provider,
    stand_in,
    apple_gateway,
    django_capture_on_commit_callbacks,
) -> None:
    send_signin(
        api_client, conversation, django_capture_on_commit_callbacks, legacy=False
    )
    sent = apple_gateway.requests[-1].json["interactiveData"]
    assert sent["replyMessage"]["title"] == "You signed in"
    oauth_provider.reply_title = "Signed in to Acme"
    oauth_provider.save()
    send_signin(
        api_client, conversation, django_capture_on_commit_callbacks, legacy=False
    )
    sent = apple_gateway.requests[-1].json["interactiveData"]
    assert sent["replyMessage"]["title"] == "Signed in to Acme"


def test_auth2_signin_uses_the_code_as_sent(
    api_client,
    conversation,
    oauth_provider,
    stand_in,
    apple_gateway,
    django_capture_on_commit_callbacks,
) -> None:
    sent = send_signin(
        api_client, conversation, django_capture_on_commit_callbacks, legacy=False
    )
    oauth2 = apple_gateway.requests[-1].json["interactiveData"]["data"]["authenticate"][
        "oauth2"
    ]
    assert "responseEncryptionKey" not in oauth2
    with django_capture_on_commit_callbacks(execute=True):
        post_reply(
            conversation,
            auth_reply(
                sent["request_identifier"],
                state=oauth2["state"],
                token="sandbox-code-abc.bob",
            ),
        )
    assert (
        CustomerIdentity.objects.get(customer=conversation.customer).external_user_id
        == "bob"
    )


def test_reply_with_another_state_is_rejected(
    api_client,
    conversation,
    oauth_provider,
    stand_in,
    apple_gateway,
    django_capture_on_commit_callbacks,
) -> None:
    sent = send_signin(
        api_client, conversation, django_capture_on_commit_callbacks, legacy=False
    )
    with django_capture_on_commit_callbacks(execute=True):
        post_reply(
            conversation,
            auth_reply(
                sent["request_identifier"],
                state="forged-state",
                token="sandbox-code-abc.mallory",
            ),
        )
    assert not CustomerIdentity.objects.exists()
    assert stand_in.received("/oauth/token") == []
    signin = SigninRequest.objects.get()
    assert signin.status == SigninRequest.Status.FAILED
    assert "state" in signin.error
    assert conversation.messages.filter(body__startswith="Sign-in failed").exists()


def test_cancelled_signin_fails_without_exchanging(
    conversation, oauth_provider, stand_in
) -> None:
    prepared = services.signin_request_prepare(conversation=conversation)
    message = Message.objects.create(
        conversation=conversation,
        direction=Message.Direction.IN,
        kind=Message.Kind.INTERACTIVE,
        status=Message.Status.RECEIVED,
        request_identifier=prepared.request_identifier,
        raw={},
    )
    services.signin_reply_handle(
        message=message,
        reply=auth_reply(
            prepared.request_identifier, state=prepared.state, token="", status="failed"
        ),
    )
    signin = SigninRequest.objects.get()
    assert signin.status == SigninRequest.Status.FAILED
    assert signin.error == "the customer cancelled or did not finish signing in"
    assert stand_in.received("/oauth/token") == []
    # The reply's answer card says it; no second line repeats it.
    assert not conversation.messages.filter(kind=Message.Kind.SYSTEM).exists()


def test_provider_refusing_the_code_fails_the_signin(
    conversation, oauth_provider, stand_in
) -> None:
    prepared = services.signin_request_prepare(conversation=conversation)
    message = Message.objects.create(
        conversation=conversation,
        direction=Message.Direction.IN,
        kind=Message.Kind.INTERACTIVE,
        status=Message.Status.RECEIVED,
        request_identifier=prepared.request_identifier,
    )
    services.signin_reply_handle(
        message=message,
        reply=auth_reply(
            prepared.request_identifier, state=prepared.state, token="not-a-code"
        ),
    )
    signin = SigninRequest.objects.get()
    assert signin.status == SigninRequest.Status.FAILED
    assert "400" in signin.error


def test_provider_outage_is_retried_and_the_request_stays_pending(
    conversation, oauth_provider, stand_in
) -> None:
    from integrations.clients import IntegrationError

    stand_in.token_failures.append(503)
    prepared = services.signin_request_prepare(conversation=conversation)
    message = Message.objects.create(
        conversation=conversation,
        direction=Message.Direction.IN,
        kind=Message.Kind.INTERACTIVE,
        status=Message.Status.RECEIVED,
        request_identifier=prepared.request_identifier,
    )
    reply = auth_reply(
        prepared.request_identifier, state=prepared.state, token="sandbox-code-1.zoe"
    )
    with pytest.raises(IntegrationError):
        services.signin_reply_handle(message=message, reply=reply)
    assert SigninRequest.objects.get().status == SigninRequest.Status.PENDING
    services.signin_reply_handle(message=message, reply=reply)
    assert SigninRequest.objects.get().status == SigninRequest.Status.LINKED
    # A redelivered reply does not sign in twice.
    services.signin_reply_handle(message=message, reply=reply)
    assert len(stand_in.received("/oauth/token")) == 2


def test_signin_needs_a_provider(api_client, conversation) -> None:
    response = api_client.post(
        f"/api/v1/conversations/{conversation.id}/signin/", {}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "no_oauth_provider"


def test_signin_of_another_business_conversation_is_not_found(
    api_client, oauth_provider
) -> None:
    from tests.factories import ConversationFactory

    other = ConversationFactory()
    response = api_client.post(
        f"/api/v1/conversations/{other.id}/signin/", {}, format="json"
    )
    assert response.status_code == 404


def test_oauth_provider_for_gives_no_secret(business, oauth_provider) -> None:
    from integrations.selectors import oauth_provider_for

    settings_ = oauth_provider_for(business)
    assert settings_ is not None
    assert settings_.scope == ("openid", "profile")
    assert not hasattr(settings_, "client_secret")
    assert WebhookEndpoint.Event.SIGNIN == "signin"
