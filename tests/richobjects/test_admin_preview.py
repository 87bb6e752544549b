"""The admin's live bubble preview endpoint and the per-kind starter specs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from conversations.models import Business, Membership
from richobjects import builders
from richobjects.models import RichObject
from richobjects.preview import STARTERS
from richobjects.services import rich_image_create, rich_object_create
from tests.factories import MembershipFactory, UserFactory
from tests.richobjects.conftest import png_bytes

pytestmark = pytest.mark.django_db

PREVIEW = "admin:richobjects_richobject_preview"


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


def post(client: Client, body: dict[str, Any]) -> Any:
    return client.post(
        reverse(PREVIEW), data=json.dumps(body), content_type="application/json"
    )


def test_valid_spec_returns_the_bubble_and_the_choices(
    admin_client: Client, business: Business
) -> None:
    image = rich_image_create(business=business, name="logo", data=png_bytes())
    spec = {
        "summary": "Which size?",
        "items": ["Small", "Large"],
        "received": {"title": "Pick a size", "subtitle": "Tap one", "image": "logo"},
        "images": {"logo": {"rich_image": image.pk}},
    }

    response = post(
        admin_client,
        {"business": business.pk, "kind": "quick_reply", "spec": json.dumps(spec)},
    )

    assert response.status_code == 200, response.content
    preview = response.json()["preview"]
    assert preview["received"]["title"] == "Pick a size"
    assert preview["received"]["subtitle"] == "Tap one"
    assert preview["received"]["style"] == "icon"
    assert preview["received"]["image"].startswith("data:image/png;base64,")
    assert preview["choices"] == ["Small", "Large"]
    assert preview["size"] > 0
    assert preview["data_ref"] is False


def test_saved_object_previews_with_its_own_kind(
    admin_client: Client, business: Business, list_picker_spec: dict[str, Any]
) -> None:
    listed = rich_object_create(
        business=business, name="Bikes", kind="list_picker", spec=list_picker_spec
    )
    edited = {**list_picker_spec, "received": {"title": "Choose a bike"}}

    response = post(admin_client, {"object": listed.pk, "spec": json.dumps(edited)})

    assert response.status_code == 200, response.content
    preview = response.json()["preview"]
    assert preview["received"]["title"] == "Choose a bike"
    assert preview["reply"]["title"] == "Thanks!"
    assert [s["title"] for s in preview["choices"]] == ["Bikes", "Extras"]
    assert preview["choices"][1]["multiple"] is True
    assert preview["choices"][0]["items"][0] == {
        "title": "Gravel 700",
        "subtitle": "In stock",
    }


def test_invalid_spec_names_the_field_and_the_rule(
    admin_client: Client, business: Business
) -> None:
    response = post(
        admin_client,
        {
            "business": business.pk,
            "kind": "quick_reply",
            "spec": {"summary": "?", "items": ["one"]},
        },
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "rich_object_invalid"
    assert error["fields"] == {"items": ["a quick reply needs 2 to 5 items (got 1)"]}
    assert error["message"] == "items: a quick reply needs 2 to 5 items (got 1)"


def test_broken_json_is_a_field_error_not_a_500(
    admin_client: Client, business: Business
) -> None:
    response = post(
        admin_client,
        {"business": business.pk, "kind": "quick_reply", "spec": '{"summary": '},
    )

    assert response.status_code == 400
    assert response.json()["error"]["fields"]["spec"][0].startswith("is not valid JSON")


def test_unknown_image_reference_is_named(
    admin_client: Client, business: Business
) -> None:
    spec = {
        "summary": "?",
        "items": ["a", "b"],
        "images": {"logo": {"rich_image": 999}},
    }
    response = post(
        admin_client, {"business": business.pk, "kind": "quick_reply", "spec": spec}
    )

    assert response.status_code == 400
    assert "images.logo" in response.json()["error"]["fields"]


def test_agents_get_403(client: Client, business: Business, agent: Any) -> None:
    client.force_login(agent)

    response = post(
        client,
        {
            "business": business.pk,
            "kind": "quick_reply",
            "spec": STARTERS["quick_reply"],
        },
    )

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_anonymous_gets_403_not_a_login_redirect(
    client: Client, business: Business
) -> None:
    response = post(client, {"business": business.pk, "kind": "quick_reply"})

    assert response.status_code == 403


def test_staff_admin_of_another_business_gets_403(
    client: Client, business: Business
) -> None:
    other = Business.objects.create(apple_id="other-business", name="Other")
    user = UserFactory(username="boss", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="richobjects")
    )
    MembershipFactory(user=user, business=other, role=Membership.Role.ADMIN)
    client.force_login(user)

    denied = post(
        client,
        {
            "business": business.pk,
            "kind": "quick_reply",
            "spec": STARTERS["quick_reply"],
        },
    )
    allowed = post(
        client,
        {"business": other.pk, "kind": "quick_reply", "spec": STARTERS["quick_reply"]},
    )

    assert denied.status_code == 403
    assert allowed.status_code == 200, allowed.content


def test_get_is_not_allowed(admin_client: Client) -> None:
    assert admin_client.get(reverse(PREVIEW)).status_code == 405


@pytest.mark.parametrize("kind", [k.value for k in builders.Kind])
def test_every_kind_has_a_starter_that_previews(
    admin_client: Client, business: Business, kind: str
) -> None:
    response = post(
        admin_client, {"business": business.pk, "kind": kind, "spec": STARTERS[kind]}
    )

    assert response.status_code == 200, response.content
    assert response.json()["preview"]["received"]["title"]


def test_starter_links_prefill_the_add_form(
    admin_client: Client, business: Business
) -> None:
    listing = admin_client.get(reverse("admin:richobjects_richobject_changelist"))
    add = admin_client.get(
        reverse("admin:richobjects_richobject_add") + "?kind=time_picker"
    )

    assert b"New quick reply" in listing.content
    assert b"?kind=apple_pay" in listing.content
    page = add.content.decode()
    assert 'id="rich-preview-panel"' in page
    assert "Bike fitting" not in page
    assert "Appointment" in page
    assert '<option value="time_picker" selected>' in page


def test_change_form_carries_the_object_for_the_preview(
    admin_client: Client, business: Business, quick_reply_spec: dict[str, Any]
) -> None:
    quick = rich_object_create(
        business=business, name="Triage", kind="quick_reply", spec=quick_reply_spec
    )

    page = admin_client.get(
        reverse("admin:richobjects_richobject_change", args=[quick.pk])
    ).content.decode()

    assert f'data-object-id="{quick.pk}"' in page
    assert 'data-kind="quick_reply"' in page
    assert "richobjects/admin-preview.js" in page
    assert RichObject.objects.count() == 1
