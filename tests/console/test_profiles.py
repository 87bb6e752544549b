"""Customer profiles: agents name the person behind the opaque id."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.test import Client

from conversations import services
from conversations.exceptions import ApplicationError
from conversations.models import Customer
from tests.factories import ConversationFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def test_profile_api_reads_and_updates_every_field(api_client, conversation) -> None:
    url = f"/api/v1/customers/{conversation.customer_id}/"
    response = api_client.patch(
        url,
        {
            "name": "Jane Appleseed",
            "email": "jane@example.com",
            "phone": "+1 (555) 010-0000",
            "notes": "Prefers mornings",
            "attributes": {"plan": "gold", "order": "A-17"},
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    body = api_client.get(url).json()
    assert body["name"] == "Jane Appleseed"
    assert body["email"] == "jane@example.com"
    assert body["phone"] == "+1 (555) 010-0000"
    assert body["notes"] == "Prefers mornings"
    assert body["attributes"] == {"plan": "gold", "order": "A-17"}
    assert body["identity"] is None
    assert [c["id"] for c in body["conversations"]] == [conversation.id]
    # The conversation's own shape carries the name too.
    detail = api_client.get(f"/api/v1/conversations/{conversation.id}/").json()
    assert detail["customer"]["display_name"] == "Jane Appleseed"


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"email": "not-an-address"}, "invalid_email"),
        ({"phone": "call me maybe"}, "invalid_phone"),
        ({"attributes": ["a", "b"]}, "invalid"),
        ({"attributes": {"x" * 65: "y"}}, "invalid_attributes"),
        ({"name": "n" * 201}, "invalid"),
    ],
)
def test_profile_api_refuses_bad_input_clearly(
    api_client, conversation, changes, code
) -> None:
    url = f"/api/v1/customers/{conversation.customer_id}/"
    response = api_client.patch(url, changes, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    customer = Customer.objects.get(pk=conversation.customer_id)
    assert (customer.email, customer.phone, customer.attributes) == ("", "", {})


def test_profile_of_another_business_is_404(api_client, foreign_conversation) -> None:
    url = f"/api/v1/customers/{foreign_conversation.customer_id}/"
    assert api_client.get(url).status_code == 404
    assert api_client.patch(url, {"name": "x"}, format="json").status_code == 404
    assert Customer.objects.get(pk=foreign_conversation.customer_id).display_name == ""


def test_profile_lists_conversations_of_the_same_person(agent, business) -> None:
    first = ConversationFactory(customer__business=business)
    other_device = ConversationFactory(customer__business=business)
    stranger = ConversationFactory(customer__business=business)
    for customer in (first.customer, other_device.customer):
        services.customer_update(
            customer=customer, actor=agent, changes={"email": "Sam@Example.com"}
        )
    from conversations.selectors import customer_conversation_list

    first.customer.refresh_from_db()
    ids = {c.id for c in customer_conversation_list(customer=first.customer)}
    assert ids == {first.id, other_device.id}
    assert stranger.id not in ids


def test_naming_a_customer_is_pushed_to_every_console(
    agent, conversation, django_capture_on_commit_callbacks
) -> None:
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(f"business.{conversation.business_id}", channel)
    with django_capture_on_commit_callbacks(execute=True):
        services.customer_update(
            customer=conversation.customer, actor=agent, changes={"display_name": "Jo"}
        )
    event = async_to_sync(layer.receive)(channel)
    assert event["payload"]["type"] == "conversation.updated"
    assert event["payload"]["data"]["customer"]["display_name"] == "Jo"


def test_unknown_profile_fields_are_refused(agent, conversation) -> None:
    with pytest.raises(ApplicationError):
        services.customer_update(
            customer=conversation.customer, actor=agent, changes={"apple_id": "x"}
        )


def test_profile_page_saves_and_the_inbox_shows_the_name(
    console: Client, conversation
) -> None:
    url = f"/console/customers/{conversation.customer_id}/"
    page = console.get(url)
    assert page.status_code == 200
    assert conversation.customer.apple_id in page.content.decode()
    response = console.post(
        url,
        {
            "display_name": "Jane Appleseed",
            "email": "jane@example.com",
            "phone": "",
            "notes": "VIP",
            "attributes": "plan: gold\norder: A-17",
        },
    )
    assert response.status_code == 302
    customer = Customer.objects.get(pk=conversation.customer_id)
    assert customer.attributes == {"plan": "gold", "order": "A-17"}
    inbox = console.get("/console/").content.decode()
    assert "Jane Appleseed" in inbox
    header = console.get(f"/console/c/{conversation.id}/").content.decode()
    assert f'href="/console/customers/{customer.id}/"' in header
    bad = console.post(url, {"display_name": "x", "attributes": "no colon here"})
    assert bad.status_code == 400
    assert "line 1" in bad.content.decode()


def test_profile_page_of_another_business_is_404(
    console: Client, foreign_conversation
) -> None:
    response = console.get(f"/console/customers/{foreign_conversation.customer_id}/")
    assert response.status_code == 404


def test_profile_shows_the_sign_in_identity(api_client, console, conversation) -> None:
    from integrations.models import CustomerIdentity

    CustomerIdentity.objects.create(
        customer=conversation.customer,
        business=conversation.business,
        external_user_id="u-42",
        display_name="Jane A.",
        provider_title="Acme ID",
        access_token="secret-token",
    )
    body = api_client.get(f"/api/v1/customers/{conversation.customer_id}/").json()
    assert body["identity"]["external_user_id"] == "u-42"
    assert "secret-token" not in str(body)
    page = console.get(f"/console/customers/{conversation.customer_id}/")
    assert "Signed in as" in page.content.decode()
    assert "u-42" in page.content.decode()


def test_a_customer_without_a_conversation_has_a_profile(api_client, business) -> None:
    customer = CustomerFactory(business=business)
    body = api_client.get(f"/api/v1/customers/{customer.id}/").json()
    assert body["conversations"] == []
