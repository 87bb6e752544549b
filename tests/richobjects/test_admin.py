from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from conversations.models import Business
from richobjects.models import RichImage, RichObject
from richobjects.services import rich_object_create
from tests.richobjects.conftest import png_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


def test_changelist_and_change_page_show_the_payload_preview(
    admin_client: Client, business: Business, quick_reply_spec: dict[str, Any]
) -> None:
    quick = rich_object_create(
        business=business, name="Triage", kind="quick_reply", spec=quick_reply_spec
    )

    listing = admin_client.get(reverse("admin:richobjects_richobject_changelist"))
    page = admin_client.get(
        reverse("admin:richobjects_richobject_change", args=[quick.pk])
    )

    assert listing.status_code == 200
    assert b"Triage" in listing.content
    assert page.status_code == 200
    assert b"summaryText" in page.content
    assert b"quick-reply" in page.content


def test_adding_through_the_admin_goes_through_the_service(
    admin_client: Client, business: Business, quick_reply_spec: dict[str, Any]
) -> None:
    response = admin_client.post(
        reverse("admin:richobjects_richobject_add"),
        {
            "business": business.pk,
            "name": "Triage",
            "kind": "quick_reply",
            "tags": '["support"]',
            "locale": "",
            "scope_team": "",
            "text_alternative": "",
            "spec": json.dumps(quick_reply_spec),
            "versions-TOTAL_FORMS": "0",
            "versions-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    created = RichObject.objects.get(name="Triage")
    assert created.current_version.number == 1
    assert created.text_alternative.startswith("How can we help?")


def test_admin_shows_builder_errors_on_the_spec(
    admin_client: Client, business: Business
) -> None:
    response = admin_client.post(
        reverse("admin:richobjects_richobject_add"),
        {
            "business": business.pk,
            "name": "Broken",
            "kind": "quick_reply",
            "tags": "[]",
            "spec": json.dumps({"summary": "?", "items": ["one"]}),
            "versions-TOTAL_FORMS": "0",
            "versions-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 200
    assert (
        "items: a quick reply needs 2 to 5 items (got 1)" in response.content.decode()
    )
    assert not RichObject.objects.exists()


def test_editing_in_the_admin_adds_a_version(
    admin_client: Client, business: Business, quick_reply_spec: dict[str, Any]
) -> None:
    quick = rich_object_create(
        business=business, name="Triage", kind="quick_reply", spec=quick_reply_spec
    )

    response = admin_client.post(
        reverse("admin:richobjects_richobject_change", args=[quick.pk]),
        {
            "name": "Triage",
            "tags": "[]",
            "text_alternative": quick.text_alternative,
            "spec": json.dumps({**quick_reply_spec, "items": ["Yes", "No"]}),
            "versions-TOTAL_FORMS": "1",
            "versions-INITIAL_FORMS": "1",
            "versions-0-id": quick.current_version.pk,
            "versions-0-rich_object": quick.pk,
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    quick.refresh_from_db()
    assert quick.current_version.number == 2
    assert "1. Yes" in quick.text_alternative


def test_uploading_an_image(admin_client: Client, business: Business) -> None:
    response = admin_client.post(
        reverse("admin:richobjects_richimage_add"),
        {
            "business": business.pk,
            "name": "logo",
            "upload": SimpleUploadedFile("logo.png", png_bytes(180, 180), "image/png"),
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    image = RichImage.objects.get()
    assert (image.width, image.height) == (180, 180)
    page = admin_client.get(
        reverse("admin:richobjects_richimage_change", args=[image.pk])
    )
    assert page.status_code == 200
