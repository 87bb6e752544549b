"""A business admin in the Django admin reaches only their own businesses' rows:
list, change, delete, bulk actions, add, preview, import/export (issue 13 item 1)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from conversations.models import Business, Membership
from integrations.models import WebhookEndpoint
from richobjects.models import RichImage, RichObject, RichObjectVersion
from richobjects.services import rich_image_create, rich_object_create
from tests.factories import MembershipFactory, UserFactory
from tests.richobjects.conftest import png_bytes

pytestmark = pytest.mark.django_db

SPEC = {"summary": "Size?", "items": ["Small", "Large"]}


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def two() -> dict[str, Any]:
    a = Business.objects.create(apple_id="biz-a", name="Alpha Bikes")
    b = Business.objects.create(apple_id="biz-b", name="Bravo Secret Brand")
    victim = rich_object_create(
        business=b, name="Bravo private offer", kind="quick_reply", spec=SPEC
    )
    mine = rich_object_create(
        business=a, name="Alpha offer", kind="quick_reply", spec=SPEC
    )
    image = rich_image_create(business=b, name="bravo-logo", data=png_bytes())
    hook = WebhookEndpoint.objects.create(
        business=b, url="https://hooks.bravo.example/x", secret="s", event_types=[]
    )
    return {
        "a": a,
        "b": b,
        "victim": victim,
        "mine": mine,
        "image": image,
        "hook": hook,
    }


@pytest.fixture
def attacker(two: dict[str, Any]) -> Client:
    user = UserFactory(username="mallory", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label__in=["richobjects", "integrations", "businesses"]
        )
    )
    MembershipFactory(user=user, business=two["a"], role=Membership.Role.ADMIN)
    client = Client()
    client.force_login(user)
    return client


def url(name: str, *args: Any) -> str:
    return reverse(f"admin:{name}", args=args)


def test_lists_show_only_their_businesses(attacker: Client, two) -> None:
    page = attacker.get(url("richobjects_richobject_changelist")).content.decode()
    assert "Alpha offer" in page
    assert "Bravo private offer" not in page
    # The business filter names no other tenant either.
    assert "Bravo Secret Brand" not in page
    for name in (
        "richobjects_richimage_changelist",
        "richobjects_richobjectversion_changelist",
        "integrations_webhookendpoint_changelist",
    ):
        page = attacker.get(url(name)).content.decode()
        assert "Bravo" not in page, name
        assert "bravo" not in page, name


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("richobjects_richobject_change", "victim"),
        ("richobjects_richobject_delete", "victim"),
        ("richobjects_richobject_history", "victim"),
        ("richobjects_richimage_change", "image"),
        ("richobjects_richimage_delete", "image"),
        ("integrations_webhookendpoint_change", "hook"),
    ],
)
def test_another_business_objects_cannot_be_opened(
    attacker: Client, two, name: str, key: str
) -> None:
    response = attacker.get(url(name, two[key].pk))
    # The admin answers as for a row that does not exist.
    assert response.status_code == 302
    assert response.url == reverse("admin:index")


def test_another_business_objects_cannot_be_edited_or_deleted(
    attacker: Client, two
) -> None:
    victim = two["victim"]
    attacker.post(
        url("richobjects_richobject_change", victim.pk),
        {"name": "pwned", "kind": "quick_reply", "spec": json.dumps(SPEC)},
    )
    attacker.post(url("richobjects_richobject_delete", victim.pk), {"post": "yes"})
    attacker.post(url("richobjects_richimage_delete", two["image"].pk), {"post": "yes"})
    attacker.post(
        url("richobjects_richobject_changelist"),
        {"action": "delete_selected", "_selected_action": [victim.pk], "post": "yes"},
    )
    attacker.post(
        url("richobjects_richobject_changelist"),
        {"action": "archive_selected", "_selected_action": [victim.pk]},
    )
    victim.refresh_from_db()
    assert victim.name == "Bravo private offer"
    assert victim.state != RichObject.State.ARCHIVED
    assert RichImage.objects.filter(pk=two["image"].pk).exists()
    assert RichObjectVersion.objects.filter(rich_object=victim).exists()


def test_adding_into_another_business_is_refused(attacker: Client, two) -> None:
    page = attacker.get(url("richobjects_richobject_add")).content.decode()
    assert "Bravo Secret Brand" not in page  # not in the dropdown
    response = attacker.post(
        url("richobjects_richobject_add"),
        {
            "business": two["b"].pk,
            "name": "Planted",
            "kind": "quick_reply",
            "spec": json.dumps(SPEC),
        },
    )
    assert response.status_code == 200  # the form again, with an error
    assert "Select a valid choice" in response.content.decode()
    assert not RichObject.objects.filter(name="Planted").exists()


def test_preview_of_another_business_is_refused(attacker: Client, two) -> None:
    preview = url("richobjects_richobject_preview")
    for body in (
        {"object": two["victim"].pk, "spec": json.dumps(SPEC)},
        {"business": two["b"].pk, "kind": "quick_reply", "spec": json.dumps(SPEC)},
    ):
        response = attacker.post(
            preview, data=json.dumps(body), content_type="application/json"
        )
        assert response.status_code == 403
        assert "preview" not in response.json()


def test_import_and_export_of_another_business_are_refused(
    attacker: Client, two
) -> None:
    b = two["b"].pk
    export = attacker.get(f"/api/v1/businesses/{b}/rich-objects/export")
    assert export.status_code in (403, 404)
    assert "Bravo private offer" not in export.content.decode()
    imported = attacker.post(
        f"/api/v1/businesses/{b}/rich-objects/import",
        data=json.dumps(
            {"format": "msp-console.richobjects", "version": 1, "objects": []}
        ),
        content_type="application/json",
    )
    assert imported.status_code in (403, 404)


def test_superusers_see_every_business(admin_client: Client, two) -> None:
    page = admin_client.get(url("richobjects_richobject_changelist")).content.decode()
    assert "Bravo private offer" in page
    assert "Alpha offer" in page
    assert (
        admin_client.get(
            url("richobjects_richobject_change", two["victim"].pk)
        ).status_code
        == 200
    )
