"""The studio reads the channel settings through the library's doors (issue 20
items 2, 7, 8): merchant, sign-in provider and iMessage apps shown in the editor,
rich-link images, starters that fill for a customer we know nothing about, and
the picker's explanation of an empty library."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from businesses.models import IMessageApp
from conversations.models import Business, Membership
from integrations.models import ApplePayMerchant, OAuthProvider
from richobjects import builders, preview, services
from richobjects.channel import OAuthSettings, PreparedPayment
from richobjects.models import RichObject
from richobjects.views_library import PLACEHOLDERS
from tests.factories import (
    BusinessFactory,
    ConversationFactory,
    MembershipFactory,
    UserFactory,
)

from .conftest import png_bytes

pytestmark = pytest.mark.django_db

BID = "com.apple.messages.MSMessageExtensionBalloonPlugin:ABCDE12345:com.acme.ext"


@pytest.fixture
def admin(business: Business) -> Any:
    user = UserFactory(username="ada", is_staff=False)
    MembershipFactory(user=user, business=business, role=Membership.Role.ADMIN)
    return user


@pytest.fixture
def studio(admin: Any) -> Client:
    client = Client()
    client.force_login(admin)
    return client


def studio_config(response: Any) -> dict[str, Any]:
    html = response.content.decode()
    start = html.index('<script id="studio-config" type="application/json">')
    body = html[start:].split(">", 1)[1].split("</script>", 1)[0]
    return json.loads(body)


def new_editor(client: Client, business: Business, kind: str) -> dict[str, Any]:
    response = client.get(reverse("library-new", args=[business.pk]), {"kind": kind})
    assert response.status_code == 200
    return studio_config(response)


def test_apple_pay_editor_names_the_merchant_from_channel_settings(
    studio: Client, business: Business
) -> None:
    before = new_editor(studio, business, "apple_pay")["channel"]
    assert before["merchant"] is None
    assert before["merchantUrl"] == f"/integrations/businesses/{business.pk}/apple-pay/"

    ApplePayMerchant.objects.create(
        business=business,
        merchant_identifier="merchant.com.acmebikes",
        merchant_name="Acme Bikes",
        processor_url="https://processor.example/charge",
        currency_code="EUR",
    )

    after = new_editor(studio, business, "apple_pay")["channel"]
    assert after["merchant"] == {
        "name": "Acme Bikes",
        "identifier": "merchant.com.acmebikes",
        "currency": "EUR",
    }


def test_sign_in_editor_names_the_business_oauth_provider(
    studio: Client, business: Business
) -> None:
    assert new_editor(studio, business, "authentication")["channel"]["oauth"] is None
    OAuthProvider.objects.create(
        business=business,
        title="Acme accounts",
        client_id="client",
        client_secret="secret",
        authorize_url="https://id.acme.example/authorize",
        token_url="https://id.acme.example/token",
        scope="openid profile",
    )

    channel = new_editor(studio, business, "authentication")["channel"]

    assert channel["oauth"] == {
        "title": "Acme accounts",
        "scope": ["openid", "profile"],
    }
    assert "secret" not in json.dumps(channel)
    # The redirect URI is the provider's at send time: the starter names none.
    assert "redirect_uri" not in preview.starter_spec("authentication")


def test_imessage_app_editor_offers_the_business_apps_and_starts_from_the_first(
    studio: Client, business: Business
) -> None:
    other = BusinessFactory(name="Other Co")
    IMessageApp.objects.create(
        business=other, app_id="999", name="Not ours", bid=BID, url="https://x.example"
    )
    empty = new_editor(studio, business, "imessage_app")["channel"]
    assert empty["apps"] == []
    assert empty["appsUrl"] == f"/console/businesses/{business.pk}/settings/"

    IMessageApp.objects.create(
        business=business,
        app_id="1234567",
        name="Acme Configurator",
        bid=BID,
        url="https://acme.example/app?start=1",
    )
    response = studio.get(
        reverse("library-new", args=[business.pk]), {"kind": "imessage_app"}
    )
    apps = studio_config(response)["channel"]["apps"]

    assert apps == [
        {
            "team_id": "ABCDE12345",
            "extension_bundle_id": "com.acme.ext",
            "app_id": "1234567",
            "app_name": "Acme Configurator",
            "url": "https://acme.example/app?start=1",
        }
    ]
    spec = json.loads(response.context["form"].initial["spec"])
    assert spec["app_id"] == "1234567"
    assert spec["extension_bundle_id"] == "com.acme.ext"
    # What the form filled in builds: the bid is the app's own.
    payload = builders.validate_spec("imessage_app", spec)
    assert payload["bid"] == BID


def test_rich_link_image_from_the_library_goes_out_at_the_large_size(
    studio: Client, business: Business
) -> None:
    image = services.rich_image_create(
        business=business, name="Shop", data=png_bytes(1200, 800)
    )
    spec = {
        "url": "https://acme.example/shop",
        "title": "Our shop",
        "image": "shop",
        "images": {"shop": {"rich_image": image.pk}},
    }

    answer = studio.post(
        reverse("library-preview", args=[business.pk]),
        {"kind": "rich_link", "spec": spec},
        content_type="application/json",
    )

    assert answer.status_code == 200, answer.json()
    assert answer.json()["preview"]["received"]["image"].startswith(
        "data:image/png;base64,"
    )
    variant = image.variants.get()
    assert (variant.style, variant.width, variant.height) == ("large", 789, 450)
    missing = studio.post(
        reverse("library-preview", args=[business.pk]),
        {"kind": "rich_link", "spec": {**spec, "image": "nope"}},
        content_type="application/json",
    )
    assert missing.status_code == 400
    assert "image" in missing.json()["error"]["fields"]


# --- item 8: starters fill for a customer we know nothing about -----------------------


def strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in strings(item)]
    return []


@pytest.fixture
def channel_inputs(
    monkeypatch: pytest.MonkeyPatch, merchant: Any, settings: Any
) -> None:
    """Apple Pay and sign-in set up (the integrations side is not under test)."""
    settings.PUBLIC_BASE_URL = "https://msp.example"
    monkeypatch.setattr(services.send, "merchant_settings_for", lambda b, **_: merchant)
    monkeypatch.setattr(
        services.send,
        "payment_prepare",
        lambda **_: PreparedPayment(
            payment_id=1, merchant=merchant, merchant_session={"id": "s"}
        ),
    )
    monkeypatch.setattr(
        services.send,
        "oauth_settings_for",
        lambda b, **_: OAuthSettings(
            redirect_uri="https://msp.example/oauth/",
            response_encryption_key=builders._STAND_IN_ENCRYPTION_KEY,
        ),
    )


@pytest.mark.parametrize(
    "capabilities", [["QUICK", "LIST", "TIME", "FORM", "AUTH2", "AUTH"], []]
)
@pytest.mark.parametrize("kind", list(preview.STARTERS))
def test_every_starter_sends_to_a_customer_with_no_name_and_no_placeholder_left(
    business: Business, channel_inputs: None, kind: str, capabilities: list[str]
) -> None:
    conversation = ConversationFactory(
        customer__business=business,
        customer__display_name="",
        capabilities=capabilities,
        device_agent="iPhone OS/18.0",
    )
    rich_object = services.rich_object_create(
        business=business,
        name=kind,
        kind=kind,
        spec=preview.starter_spec(kind, business),
    )
    services.rich_object_publish(rich_object=rich_object)

    message = services.rich_object_send(
        conversation=conversation, object_or_version=rich_object, sender=None
    )

    sent = [message.body, *strings(message.raw)]
    assert [s for s in sent if "{{" in s or "}}" in s] == []
    # Starters only use placeholders the studio offers (values every send has).
    offered = {name for name, _, _ in PLACEHOLDERS}
    assert set(builders.placeholders_in(preview.STARTERS[kind])) <= offered


def test_quick_reply_starter_greets_a_nameless_customer_with_its_fallback(
    business: Business,
) -> None:
    conversation = ConversationFactory(
        customer__business=business, customer__display_name="", capabilities=[]
    )
    rich_object = services.rich_object_create(
        business=business,
        name="Hi",
        kind="quick_reply",
        spec=preview.starter_spec("quick_reply"),
    )
    services.rich_object_publish(rich_object=rich_object)

    message = services.rich_object_send(
        conversation=conversation, object_or_version=rich_object, sender=None
    )

    assert message.body.startswith("How can we help, there?")


# --- item 7: the picker explains an empty library -------------------------------------------


def test_picker_api_explains_an_empty_library_to_admins_and_agents(
    business: Business, admin: Any, agent: Any
) -> None:
    url = f"/api/v1/rich-objects/?business={business.pk}"
    as_admin, as_agent = Client(), Client()
    as_admin.force_login(admin)
    as_agent.force_login(agent)

    empty = as_admin.get(url).json()
    assert empty["results"] == []
    assert (
        empty["empty_library"]["create_url"]
        == f"/console/businesses/{business.pk}/library/new/"
    )
    assert "library is empty" in empty["empty_library"]["message"]
    plain = as_agent.get(url).json()["empty_library"]
    assert plain["create_url"] is None
    assert "admins add rich objects" in plain["message"]

    draft = services.rich_object_create(
        business=business,
        name="Hi",
        kind="quick_reply",
        spec=preview.starter_spec("quick_reply"),
    )
    assert (
        "1 draft in the library" in as_admin.get(url).json()["empty_library"]["message"]
    )

    services.rich_object_publish(rich_object=draft)
    found = as_agent.get(url).json()
    assert [r["name"] for r in found["results"]] == ["Hi"]
    assert "empty_library" not in found
    # A search that matches nothing is not an empty library.
    assert "empty_library" not in as_admin.get(f"{url}&q=zzz").json()


def test_picker_api_says_nothing_of_a_library_the_user_does_not_belong_to(
    admin: Any,
) -> None:
    other = BusinessFactory(name="Other Co")
    client = Client()
    client.force_login(admin)

    answer = client.get(f"/api/v1/rich-objects/?business={other.pk}").json()

    # An empty page, and no word about that business's library.
    assert answer["results"] == []
    assert "empty_library" not in answer
    assert RichObject.objects.count() == 0
