"""Sending library objects: the wire body per type, capability fallback, settings, params."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import time_machine

from conversations import services as conversation_services
from conversations.exceptions import ApplicationError, PermissionDeniedError
from conversations.models import Message
from conversations.serializers import message_data
from richobjects import services
from richobjects.channel import OAuthSettings, PreparedPayment
from richobjects.models import RichMessage, RichObject
from tests.factories import ConversationFactory

pytestmark = pytest.mark.django_db

OLD_DEVICE = ["QUICK", "TIME"]  # no LIST, FORM, AUTH2


def published(business, kind: str, spec: dict[str, Any], **extra: Any) -> RichObject:
    rich_object = services.rich_object_create(
        business=business, name=f"{kind} object", kind=kind, spec=spec, **extra
    )
    return services.rich_object_publish(rich_object=rich_object)


def send_and_deliver(
    conversation, rich_object, *, sender=None, **kwargs: Any
) -> tuple[Message, Any]:
    message = services.rich_object_send(
        conversation=conversation,
        object_or_version=rich_object,
        params=kwargs.pop("params", None),
        sender=sender,
        **kwargs,
    )
    conversation_services.message_deliver(message_id=message.id)
    message.refresh_from_db()
    return message, message


@pytest.mark.parametrize(
    ("kind", "fixture", "feature"),
    [
        (RichObject.Kind.QUICK_REPLY, "quick_reply_spec", "quick-reply"),
        (RichObject.Kind.LIST_PICKER, "list_picker_spec", "listPicker"),
        (RichObject.Kind.TIME_PICKER, "time_picker_spec", "event"),
        (RichObject.Kind.FORM, "form_spec", "dynamic"),
    ],
)
def test_interactive_kinds_go_out_as_interactive_with_their_version(
    request, business, conversation, agent, apple_gateway, kind, fixture, feature
) -> None:
    rich_object = published(business, kind, request.getfixturevalue(fixture))
    # The time picker's fixed slots are on 1 Dec 2026: sends drop slots that
    # have started, so send from the day before.
    with time_machine.travel(datetime(2026, 11, 30, 12, 0, tzinfo=UTC)):
        message, _ = send_and_deliver(conversation, rich_object, sender=agent)

    assert message.status == Message.Status.SENT
    assert message.kind == Message.Kind.INTERACTIVE
    (sent,) = apple_gateway.requests
    assert sent.path.endswith("/message")
    body = sent.json
    assert body["type"] == "interactive"
    data = body["interactiveData"]["data"]
    assert feature in data
    assert data["requestIdentifier"] == message.request_identifier
    link = RichMessage.objects.get(message=message)
    assert link.version == rich_object.published_version
    assert link.sent_as == RichMessage.SentAs.INTERACTIVE
    assert link.request_identifier == message.request_identifier
    rich = message_data(message)["rich"]
    assert rich["sent_as"] == "interactive"
    assert rich["object"] == rich_object.pk
    assert rich["version"] == 1


def test_imessage_app_goes_out_with_its_bid(
    business, conversation, agent, apple_gateway, imessage_spec
) -> None:
    rich_object = published(business, RichObject.Kind.IMESSAGE_APP, imessage_spec)
    send_and_deliver(conversation, rich_object, sender=agent)
    body = apple_gateway.requests[0].json
    assert body["type"] == "interactive"
    assert body["interactiveData"]["bid"].endswith(
        "ABCDE12345:com.acmebikes.app.MessagesExtension"
    )


def test_library_rich_link_goes_out_as_rich_link(
    business, conversation, agent, apple_gateway, rich_link_spec
) -> None:
    rich_object = published(business, RichObject.Kind.RICH_LINK, rich_link_spec)
    message, _ = send_and_deliver(conversation, rich_object, sender=agent)
    body = apple_gateway.requests[0].json
    assert message.kind == Message.Kind.RICH_LINK
    assert body["type"] == "richLink"
    assert body["richLinkData"]["title"] == "Gravel 700"
    assert body["richLinkData"]["assets"]["image"]["mimeType"] == "image/png"


@pytest.mark.parametrize(
    ("kind", "fixture"),
    [
        (RichObject.Kind.LIST_PICKER, "list_picker_spec"),
        (RichObject.Kind.FORM, "form_spec"),
        (RichObject.Kind.AUTHENTICATION, "auth_spec"),
    ],
)
def test_device_without_the_capability_receives_the_text_alternative(
    request, business, agent, apple_gateway, monkeypatch, settings, kind, fixture
) -> None:
    settings.PUBLIC_BASE_URL = "https://msp.example"
    monkeypatch.setattr(
        services.send,
        "oauth_settings_for",
        lambda business, **_: OAuthSettings(redirect_uri="https://acme.example/cb"),
    )
    conversation = ConversationFactory(
        customer__business=business, capabilities=OLD_DEVICE
    )
    rich_object = published(business, kind, request.getfixturevalue(fixture))
    message, _ = send_and_deliver(conversation, rich_object, sender=agent)

    body = apple_gateway.requests[0].json
    assert body["type"] == "text"
    assert body["body"] == rich_object.published_version.text_alternative
    assert message.kind == Message.Kind.TEXT
    link = RichMessage.objects.get(message=message)
    assert link.sent_as == RichMessage.SentAs.TEXT_ALTERNATIVE
    assert link.version == rich_object.published_version
    assert message_data(message)["rich"]["sent_as"] == "text_alternative"


def test_form_on_a_mac_goes_out_as_text(
    business, agent, apple_gateway, form_spec
) -> None:
    conversation = ConversationFactory(
        customer__business=business,
        capabilities=["QUICK", "LIST", "TIME", "FORM", "AUTH2"],
        device_agent="Mac OS X",
    )
    rich_object = published(business, RichObject.Kind.FORM, form_spec)
    send_and_deliver(conversation, rich_object, sender=agent)
    assert apple_gateway.requests[0].json["type"] == "text"


def test_authentication_goes_to_the_authenticate_endpoint(
    business, conversation, agent, apple_gateway, auth_spec, monkeypatch, settings
) -> None:
    settings.PUBLIC_BASE_URL = "https://msp.example"
    monkeypatch.setattr(
        services.send,
        "oauth_settings_for",
        lambda business, **_: OAuthSettings(redirect_uri="https://acme.example/cb"),
    )
    rich_object = published(business, RichObject.Kind.AUTHENTICATION, auth_spec)
    message, _ = send_and_deliver(conversation, rich_object, sender=agent)
    (sent,) = apple_gateway.requests
    assert sent.path.endswith("/authenticate")
    oauth2 = sent.json["interactiveData"]["data"]["authenticate"]["oauth2"]
    assert oauth2["redirectURI"] == "https://acme.example/cb"
    assert oauth2["state"] == RichMessage.objects.get(message=message).oauth_state
    assert message.status == Message.Status.SENT


def test_authentication_without_oauth_settings_is_refused(
    business, conversation, agent, auth_spec
) -> None:
    rich_object = published(business, RichObject.Kind.AUTHENTICATION, auth_spec)
    with pytest.raises(ApplicationError) as caught:
        services.rich_object_send(
            conversation=conversation, object_or_version=rich_object, sender=agent
        )
    assert caught.value.code == "oauth_not_configured"
    assert not Message.objects.filter(conversation=conversation).exists()


def test_apple_pay_needs_merchant_settings(
    business,
    conversation,
    agent,
    apple_gateway,
    apple_pay_spec,
    merchant,
    monkeypatch,
    settings,
) -> None:
    settings.PUBLIC_BASE_URL = "https://msp.example"
    rich_object = published(business, RichObject.Kind.APPLE_PAY, apple_pay_spec)
    monkeypatch.setattr(
        services.send, "merchant_settings_for", lambda business, **_: None
    )
    with pytest.raises(ApplicationError) as caught:
        services.rich_object_send(
            conversation=conversation, object_or_version=rich_object, sender=agent
        )
    assert "configure Apple Pay in channel settings" in caught.value.message.replace(
        "Configure", "configure"
    )

    monkeypatch.setattr(
        services.send, "merchant_settings_for", lambda business, **_: merchant
    )
    prepared: dict[str, Any] = {}

    def prepare(**kwargs: Any) -> PreparedPayment:
        prepared.update(kwargs)
        return PreparedPayment(
            payment_id=1,
            merchant=replace(
                merchant, payment_gateway_url="https://msp.example/pay/own/"
            ),
            merchant_session={"merchantSessionIdentifier": "s1"},
        )

    monkeypatch.setattr(services.send, "payment_prepare", prepare)
    message, _ = send_and_deliver(conversation, rich_object, sender=agent)
    payment = apple_gateway.requests[0].json["interactiveData"]["data"]["payment"]
    assert (
        payment["paymentRequest"]["applePay"]["merchantIdentifier"]
        == "merchant.com.acmebikes"
    )
    # The payment is recorded before the bubble is built, with what it shows.
    assert prepared["amount"] == "1014.50"
    assert prepared["request_identifier"] == message.request_identifier
    assert prepared["base_url"] == "https://msp.example"
    assert payment["endpoints"]["paymentGatewayUrl"] == "https://msp.example/pay/own/"
    assert payment["merchantSession"] == {"merchantSessionIdentifier": "s1"}


def test_apple_pay_and_signin_without_a_public_address_are_a_clear_400(
    business,
    conversation,
    agent,
    apple_pay_spec,
    auth_spec,
    merchant,
    monkeypatch,
    settings,
) -> None:
    settings.PUBLIC_BASE_URL = ""
    # No request (a bot through the service, a routing auto-reply) and no
    # PUBLIC_BASE_URL: nothing absolute can be built, so nothing is sent.
    monkeypatch.setattr(
        services.send, "merchant_settings_for", lambda business, **_: merchant
    )
    monkeypatch.setattr(
        services.send,
        "oauth_settings_for",
        lambda business, **_: OAuthSettings(redirect_uri="/integrations/oauth/"),
    )
    for kind, spec in (
        (RichObject.Kind.APPLE_PAY, apple_pay_spec),
        (RichObject.Kind.AUTHENTICATION, auth_spec),
    ):
        rich_object = published(business, kind, spec)
        with pytest.raises(ApplicationError) as caught:
            services.rich_object_send(
                conversation=conversation, object_or_version=rich_object, sender=agent
            )
        assert caught.value.status_code == 400
        assert caught.value.code == "public_base_url_missing"
        assert "PUBLIC_BASE_URL" in caught.value.message
    assert not Message.objects.filter(conversation=conversation).exists()


def test_missing_placeholder_is_an_error_naming_it(
    business, conversation, agent
) -> None:
    rich_object = published(
        business,
        RichObject.Kind.QUICK_REPLY,
        {
            "summary": "Hi {{customer.name}}, order {{order.id}}?",
            "items": ["Yes", "No"],
        },
    )
    with pytest.raises(ApplicationError) as caught:
        services.rich_object_send(
            conversation=conversation,
            object_or_version=rich_object,
            params={"customer": {"name": "Jo"}},
            sender=agent,
        )
    assert "{{order.id}}" in caught.value.message
    assert caught.value.status_code == 400


def test_placeholders_are_filled_from_params(
    business, conversation, agent, apple_gateway
) -> None:
    rich_object = published(
        business,
        RichObject.Kind.QUICK_REPLY,
        {"summary": "Order {{order.id}}: is it right?", "items": ["Yes", "No"]},
    )
    message, _ = send_and_deliver(
        conversation, rich_object, sender=agent, params={"order": {"id": "A-17"}}
    )
    data = apple_gateway.requests[0].json["interactiveData"]["data"]
    assert data["quick-reply"]["summaryText"] == "Order A-17: is it right?"
    assert RichMessage.objects.get(message=message).params == {"order": {"id": "A-17"}}


def test_edits_need_agents_may_edit(
    business, conversation, agent, apple_gateway, quick_reply_spec
) -> None:
    locked = published(business, RichObject.Kind.QUICK_REPLY, quick_reply_spec)
    with pytest.raises(PermissionDeniedError):
        services.rich_object_send(
            conversation=conversation,
            object_or_version=locked,
            edits={"summary": "Changed"},
            sender=agent,
        )
    editable = services.rich_object_create(
        business=business,
        name="editable",
        kind=RichObject.Kind.QUICK_REPLY,
        spec=quick_reply_spec,
        agents_may_edit=True,
    )
    services.rich_object_publish(rich_object=editable)
    message, _ = send_and_deliver(
        conversation, editable, sender=agent, edits={"summary": "Changed"}
    )
    data = apple_gateway.requests[0].json["interactiveData"]["data"]
    assert data["quick-reply"]["summaryText"] == "Changed"
    assert RichMessage.objects.get(message=message).edited


def test_large_payload_asks_for_a_data_ref(
    business, conversation, agent, apple_gateway, list_picker_spec
) -> None:
    data_ref = {
        "bid": "x",
        "url": "https://mmcs.example/1",
        "owner": "o",
        "key": "00ab",
    }
    apple_gateway.routes["/v1/message"] = lambda request: httpx.Response(
        200, json={"dataRef": data_ref}
    )
    big = dict(list_picker_spec)
    big["sections"] = [
        {
            "title": "Many",
            "items": [
                {"id": f"i{n}", "title": f"Item {n} " + "x" * 80} for n in range(150)
            ],
        }
    ]
    rich_object = published(business, RichObject.Kind.LIST_PICKER, big)
    message, _ = send_and_deliver(conversation, rich_object, sender=agent)
    sent = apple_gateway.requests[0]
    assert sent.headers["include-data-ref"] == "true"
    assert message.raw["dataRef"] == data_ref


def test_small_payload_goes_inline(
    business, conversation, agent, apple_gateway, quick_reply_spec
) -> None:
    rich_object = published(business, RichObject.Kind.QUICK_REPLY, quick_reply_spec)
    send_and_deliver(conversation, rich_object, sender=agent)
    assert "include-data-ref" not in apple_gateway.requests[0].headers


def test_bot_send_is_marked_auto_reply(
    business, conversation, agent, apple_gateway, quick_reply_spec
) -> None:
    rich_object = published(business, RichObject.Kind.QUICK_REPLY, quick_reply_spec)
    message, _ = send_and_deliver(
        conversation, rich_object, sender=agent, auto_reply=True
    )
    assert apple_gateway.requests[0].headers["auto-reply"] == "true"
    assert message.auto_reply


def test_sent_message_keeps_its_version_after_the_object_changes(
    business, conversation, agent, apple_gateway, quick_reply_spec
) -> None:
    rich_object = published(business, RichObject.Kind.QUICK_REPLY, quick_reply_spec)
    message, _ = send_and_deliver(conversation, rich_object, sender=agent)
    services.rich_object_update(
        rich_object=rich_object, spec={**quick_reply_spec, "summary": "New"}
    )
    services.rich_object_publish(rich_object=rich_object)
    link = RichMessage.objects.get(message=message)
    assert link.version.number == 1
    assert rich_object.published_version.number == 2


def test_draft_and_foreign_objects_cannot_be_sent(
    business, conversation, agent, quick_reply_spec
) -> None:
    draft = services.rich_object_create(
        business=business, name="draft", kind="quick_reply", spec=quick_reply_spec
    )
    with pytest.raises(ApplicationError) as caught:
        services.rich_object_send(
            conversation=conversation, object_or_version=draft, sender=agent
        )
    assert caught.value.status_code == 404
    other = ConversationFactory()
    mine = published(business, RichObject.Kind.QUICK_REPLY, quick_reply_spec)
    with pytest.raises(ApplicationError) as caught:
        services.rich_object_send(
            conversation=other, object_or_version=mine, sender=agent
        )
    assert caught.value.status_code == 404
