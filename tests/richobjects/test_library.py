from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from conversations.models import Business
from richobjects import services
from richobjects.builders import APPLE_BUSINESS_BID
from richobjects.image_sizes import rich_image_variant, styles_for_images
from richobjects.models import RichImage, RichObject, RichObjectVersion
from richobjects.services import (
    RichObjectInvalid,
    rich_image_create,
    rich_object_archive,
    rich_object_create,
    rich_object_export,
    rich_object_import,
    rich_object_publish,
    rich_object_render,
    rich_object_update,
)
from tests.factories import BusinessFactory
from tests.richobjects.conftest import png_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def quick(business: Business, quick_reply_spec: dict[str, Any]) -> RichObject:
    return rich_object_create(
        business=business,
        name="Triage",
        kind=RichObject.Kind.QUICK_REPLY,
        spec=quick_reply_spec,
        tags=["Support", "support", " triage "],
    )


def test_create_stores_a_draft_with_its_first_version(quick: RichObject) -> None:
    assert quick.state == RichObject.State.DRAFT
    assert quick.tags == ["support", "triage"]
    assert quick.current_version is not None
    assert quick.current_version.number == 1
    assert quick.published_version is None
    assert quick.text_alternative.startswith("How can we help?\n1. Billing")
    assert not quick.text_alternative_edited


def test_create_rejects_an_invalid_spec_naming_field_and_rule(
    business: Business,
) -> None:
    with pytest.raises(RichObjectInvalid) as excinfo:
        rich_object_create(
            business=business,
            name="Broken",
            kind=RichObject.Kind.QUICK_REPLY,
            spec={"summary": "Pick", "items": ["only one"]},
        )

    assert excinfo.value.message_dict == {
        "items": ["a quick reply needs 2 to 5 items (got 1)"]
    }
    assert not RichObject.objects.exists()


def test_create_rejects_duplicate_names_and_unknown_kinds(
    quick: RichObject, quick_reply_spec: dict[str, Any]
) -> None:
    with pytest.raises(RichObjectInvalid, match="already exists"):
        rich_object_create(
            business=quick.business,
            name="Triage",
            kind="quick_reply",
            spec=quick_reply_spec,
        )
    with pytest.raises(RichObjectInvalid, match="unknown rich object kind"):
        rich_object_create(
            business=quick.business,
            name="Other",
            kind="carousel",
            spec=quick_reply_spec,
        )


def test_the_same_name_is_fine_in_another_business(
    quick: RichObject, quick_reply_spec: dict[str, Any]
) -> None:
    other = BusinessFactory()

    rich_object_create(
        business=other, name="Triage", kind="quick_reply", spec=quick_reply_spec
    )

    assert RichObject.objects.filter(name="Triage").count() == 2


def test_apple_pay_and_auth_objects_validate_without_send_time_settings(
    business: Business, apple_pay_spec: dict[str, Any], auth_spec: dict[str, Any]
) -> None:
    # Merchant settings and the OAuth state only exist when the message is sent.
    rich_object_create(
        business=business, name="Pay", kind="apple_pay", spec=apple_pay_spec
    )
    rich_object_create(
        business=business, name="Sign in", kind="authentication", spec=auth_spec
    )

    assert RichObject.objects.count() == 2


def test_update_with_new_content_adds_a_version_and_keeps_the_old(
    quick: RichObject, quick_reply_spec: dict[str, Any]
) -> None:
    first = quick.current_version
    changed = {**quick_reply_spec, "items": ["Yes", "No"]}

    rich_object_update(rich_object=quick, spec=changed)

    quick.refresh_from_db()
    assert quick.current_version.number == 2
    assert quick.current_version.spec == changed
    first.refresh_from_db()
    assert first.spec == quick_reply_spec
    # The generated alternative follows the content.
    assert "1. Yes\n2. No" in quick.text_alternative


def test_update_with_the_same_content_adds_no_version(
    quick: RichObject, quick_reply_spec: dict[str, Any]
) -> None:
    rich_object_update(rich_object=quick, spec=dict(quick_reply_spec), tags=["billing"])

    assert quick.versions.count() == 1
    quick.refresh_from_db()
    assert quick.tags == ["billing"]


def test_update_rejects_invalid_content_and_keeps_the_current_version(
    quick: RichObject,
) -> None:
    with pytest.raises(RichObjectInvalid):
        rich_object_update(rich_object=quick, spec={"summary": "x", "items": []})

    quick.refresh_from_db()
    assert quick.versions.count() == 1


def test_an_edited_alternative_sticks_until_cleared(
    quick: RichObject, quick_reply_spec: dict[str, Any]
) -> None:
    rich_object_update(rich_object=quick, text_alternative="Call us on 555-0100.")
    rich_object_update(
        rich_object=quick, spec={**quick_reply_spec, "items": ["A", "B"]}
    )

    quick.refresh_from_db()
    assert quick.text_alternative == "Call us on 555-0100."
    assert quick.current_version.text_alternative == "Call us on 555-0100."

    rich_object_update(rich_object=quick, text_alternative="")

    quick.refresh_from_db()
    assert not quick.text_alternative_edited
    assert "1. A\n2. B" in quick.text_alternative


def test_versions_are_immutable(quick: RichObject) -> None:
    version = quick.current_version
    version.spec = {"tampered": True}

    with pytest.raises(ValueError, match="immutable"):
        version.save()


def test_publish_points_at_the_current_version_and_edits_wait(
    quick: RichObject, quick_reply_spec: dict[str, Any]
) -> None:
    rich_object_publish(rich_object=quick)
    published = quick.published_version

    rich_object_update(
        rich_object=quick, spec={**quick_reply_spec, "items": ["A", "B"]}
    )

    quick.refresh_from_db()
    assert quick.state == RichObject.State.PUBLISHED
    assert quick.published_version == published
    assert quick.has_unpublished_changes

    rich_object_publish(rich_object=quick)

    quick.refresh_from_db()
    assert quick.published_version.number == 2
    assert not quick.has_unpublished_changes


def test_archive_keeps_versions(quick: RichObject) -> None:
    rich_object_archive(rich_object=quick)

    quick.refresh_from_db()
    assert quick.state == RichObject.State.ARCHIVED
    assert RichObjectVersion.objects.filter(rich_object=quick).count() == 1


# --- rendering for sending ------------------------------------------------------------------


def test_render_fills_placeholders_and_builds(business: Business) -> None:
    rich_object = rich_object_create(
        business=business,
        name="Greeting",
        kind="quick_reply",
        spec={
            "summary": "Hi {{customer.name}}!",
            "items": ["Order {{order.id}}", "Other"],
        },
    )

    rendered = rich_object_render(
        version=rich_object.current_version,
        params={"customer": {"name": "Ann"}, "order": {"id": "A-7"}},
    )

    assert rendered.payload["bid"] == APPLE_BUSINESS_BID
    assert rendered.payload["data"]["quick-reply"]["summaryText"] == "Hi Ann!"
    assert rendered.request_identifier == rendered.payload["data"]["requestIdentifier"]
    assert rendered.text_alternative.startswith("Hi Ann!\n1. Order A-7")
    assert rendered.version_id == rich_object.current_version.pk


def test_render_with_a_missing_parameter_is_an_error_for_the_agent(
    business: Business,
) -> None:
    rich_object = rich_object_create(
        business=business,
        name="Greeting",
        kind="quick_reply",
        spec={"summary": "Hi {{customer.name}}!", "items": ["A", "B"]},
    )

    with pytest.raises(RichObjectInvalid) as excinfo:
        rich_object_render(version=rich_object.current_version, params={})

    assert excinfo.value.message_dict == {
        "summary": ["placeholder {{customer.name}} has no value"]
    }


def test_render_apple_pay_needs_the_merchant_at_send_time(
    business: Business, apple_pay_spec: dict[str, Any], merchant: Any
) -> None:
    pay = rich_object_create(
        business=business, name="Pay", kind="apple_pay", spec=apple_pay_spec
    )

    with pytest.raises(RichObjectInvalid, match="merchant"):
        rich_object_render(version=pay.current_version)
    rendered = rich_object_render(version=pay.current_version, merchant=merchant)

    assert (
        rendered.payload["data"]["payment"]["paymentRequest"]["merchantName"]
        == "Acme Bikes"
    )
    # With no link in the spec, the merchant's fallback page is offered instead.
    assert rendered.text_alternative == "Your order: https://acmebikes.example/pay"


def test_render_keeps_a_hand_written_alternative(
    quick: RichObject, quick_reply_spec: dict[str, Any]
) -> None:
    rich_object_update(
        rich_object=quick, text_alternative="Hi {{customer.name}}, call us."
    )
    quick.refresh_from_db()

    rendered = rich_object_render(
        version=quick.current_version,
        params={"customer": {"name": "Ann"}},
        spec_override={**quick_reply_spec, "items": ["X", "Y"]},
    )

    assert rendered.text_alternative == "Hi Ann, call us."


# --- images ------------------------------------------------------------------------------------


def test_images_are_stored_once_with_their_size(business: Business) -> None:
    data = png_bytes(180, 180)

    first = rich_image_create(business=business, name="logo", data=data)
    again = rich_image_create(business=business, name="logo copy", data=data)

    assert first.pk == again.pk
    assert (first.mime_type, first.width, first.height, first.size) == (
        "image/png",
        180,
        180,
        len(data),
    )
    assert RichImage.objects.count() == 1


def test_images_must_be_real_images(business: Business) -> None:
    with pytest.raises(RichObjectInvalid, match="not a PNG, JPEG or GIF"):
        rich_image_create(business=business, name="x", data=b"<html>")


def test_library_images_are_inlined_when_built(
    business: Business, list_picker_spec: dict[str, Any]
) -> None:
    image = rich_image_create(business=business, name="logo", data=png_bytes())
    list_picker_spec["images"] = {
        "logo": {"rich_image": image.pk},
        "gravel": {"rich_image": image.pk},
    }
    list_picker_spec["received"]["style"] = "large"

    picker = rich_object_create(
        business=business, name="Bikes", kind="list_picker", spec=list_picker_spec
    )
    rendered = rich_object_render(version=picker.current_version)

    # Each image goes out at the bubble size it is shown at, never the original.
    sizes = sorted(
        Image.open(io.BytesIO(base64.b64decode(entry["data"]))).size
        for entry in rendered.payload["data"]["images"]
    )
    assert sizes == [(120, 120), (789, 450)]  # the item icon; the large bubble


def test_image_variants_are_made_once_per_style(business: Business) -> None:
    photo = io.BytesIO()
    Image.new("RGB", (1600, 900), "navy").save(photo, "JPEG")
    image = rich_image_create(business=business, name="shop", data=photo.getvalue())
    large = rich_image_variant(image=image, style="large")
    again = rich_image_variant(image=image, style="large")
    icon = rich_image_variant(image=image, style="icon")
    assert large.pk == again.pk
    assert (large.width, large.height) == (789, 450)
    assert Image.open(io.BytesIO(bytes(large.data))).size == (789, 450)
    assert Image.open(io.BytesIO(bytes(icon.data))).size == (120, 120)
    assert large.mime_type == "image/jpeg"
    assert image.variants.count() == 2


def test_styles_follow_where_each_image_is_shown() -> None:
    spec = {
        "received": {"title": "t", "image": "hero", "style": "large"},
        "reply": {"title": "r", "image": "badge", "style": "icon"},
        "sections": [{"items": [{"title": "a", "image": "badge"}]}],
        "images": {"hero": "", "badge": ""},
    }
    assert styles_for_images(spec) == {"hero": "large", "badge": "icon"}


def test_another_business_image_is_refused(
    business: Business, list_picker_spec: dict[str, Any]
) -> None:
    foreign = rich_image_create(
        business=BusinessFactory(), name="logo", data=png_bytes()
    )
    list_picker_spec["images"] = {
        "logo": {"rich_image": foreign.pk},
        "gravel": {"rich_image": foreign.pk},
    }

    with pytest.raises(RichObjectInvalid) as excinfo:
        rich_object_create(
            business=business, name="Bikes", kind="list_picker", spec=list_picker_spec
        )

    assert "images.logo" in excinfo.value.message_dict


# --- import / export -------------------------------------------------------------------------


@pytest.fixture
def library(
    business: Business,
    quick: RichObject,
    list_picker_spec: dict[str, Any],
    form_spec: dict[str, Any],
) -> Business:
    image = rich_image_create(business=business, name="logo", data=png_bytes())
    list_picker_spec["images"] = {
        "logo": {"rich_image": image.pk},
        "gravel": {"rich_image": image.pk},
    }
    picker = rich_object_create(
        business=business,
        name="Bikes",
        kind="list_picker",
        spec=list_picker_spec,
        locale="en_US",
        scope_team="Sales",
        agents_may_edit=True,
        text_alternative="See acmebikes.example/bikes",
    )
    rich_object_publish(rich_object=picker)
    rich_object_create(business=business, name="Service", kind="form", spec=form_spec)
    return business


def test_export_is_json_with_every_live_object(library: Business) -> None:
    exported = rich_object_export(library)

    json.dumps(exported)
    assert exported["format"] == "msp-console.richobjects"
    assert [o["name"] for o in exported["objects"]] == ["Bikes", "Service", "Triage"]
    bikes = exported["objects"][0]
    assert bikes["published"] is True
    assert bikes["scope_team"] == "Sales"
    assert bikes["text_alternative"] == "See acmebikes.example/bikes"
    # A generated alternative is not exported: the importer regenerates it.
    assert exported["objects"][2]["text_alternative"] == ""
    assert len(exported["images"]) == 1


def test_import_round_trip_into_another_business(library: Business) -> None:
    exported = rich_object_export(library)
    target = BusinessFactory()

    report = rich_object_import(target, exported)

    assert report.ok, report.errors
    assert sorted(report.created) == ["Bikes", "Service", "Triage"]
    assert rich_object_export(target)["objects"] == [
        {**o, "spec": o["spec"]}
        for o in _with_local_images(exported, target)["objects"]
    ]
    bikes = RichObject.objects.get(business=target, name="Bikes")
    assert bikes.state == RichObject.State.PUBLISHED
    image_id = bikes.current_version.spec["images"]["logo"]["rich_image"]
    assert RichImage.objects.get(pk=image_id).business == target


def _with_local_images(exported: dict[str, Any], target: Business) -> dict[str, Any]:
    """The export as it should look once its images live in ``target``."""
    local = {
        i["ref"]: RichImage.objects.get(business=target, name=i["name"]).pk
        for i in exported["images"]
    }
    objects = []
    for entry in exported["objects"]:
        spec = entry["spec"]
        if "images" in spec:
            spec = {
                **spec,
                "images": {
                    k: {"rich_image": local[v["rich_image"]]}
                    if isinstance(v, dict)
                    else v
                    for k, v in spec["images"].items()
                },
            }
        objects.append({**entry, "spec": spec})
    return {**exported, "objects": objects}


def test_import_is_idempotent_by_name(library: Business) -> None:
    exported = rich_object_export(library)
    versions_before = RichObjectVersion.objects.count()

    report = rich_object_import(library, exported)
    again = rich_object_import(library, exported)

    assert report.ok
    assert sorted(report.unchanged) == ["Bikes", "Service", "Triage"]
    assert again.unchanged == report.unchanged
    assert RichObjectVersion.objects.count() == versions_before
    assert RichImage.objects.count() == 1


def test_import_updates_changed_objects_with_a_new_version(library: Business) -> None:
    exported = rich_object_export(library)
    triage = next(o for o in exported["objects"] if o["name"] == "Triage")
    triage["spec"]["items"] = ["Yes", "No"]
    triage["tags"] = ["new"]

    report = rich_object_import(library, exported)

    assert report.updated == ["Triage"]
    quick = RichObject.objects.get(business=library, name="Triage")
    assert quick.current_version.number == 2
    assert quick.tags == ["new"]


def test_import_reports_bad_entries_and_keeps_the_good_ones(business: Business) -> None:
    data = {
        "format": "msp-console.richobjects",
        "version": 1,
        "images": [],
        "objects": [
            {
                "name": "Good",
                "kind": "quick_reply",
                "spec": {"summary": "?", "items": ["A", "B"]},
            },
            {
                "name": "Bad",
                "kind": "quick_reply",
                "spec": {"summary": "?", "items": ["A"]},
            },
            {"name": "", "kind": "quick_reply", "spec": {}},
        ],
    }

    report = rich_object_import(business, data)

    assert report.created == ["Good"]
    assert report.errors["Bad"] == {
        "items": ["a quick reply needs 2 to 5 items (got 1)"]
    }
    assert "object #2" in report.errors
    assert not report.ok


def test_import_refuses_a_kind_change(library: Business) -> None:
    exported = rich_object_export(library)
    triage = next(o for o in exported["objects"] if o["name"] == "Triage")
    triage["kind"] = "list_picker"

    report = rich_object_import(library, exported)

    assert "is a quick_reply here" in report.errors["Triage"]["kind"][0]


def test_import_refuses_something_else(business: Business) -> None:
    with pytest.raises(ValidationError, match=r"not a msp-console\.richobjects export"):
        rich_object_import(business, {"objects": []})


def test_render_spec_override_regenerates_the_alternative(quick: RichObject) -> None:
    rendered = services.rich_object_render(
        version=quick.current_version,
        spec_override={"summary": "Edited", "items": ["X", "Y"]},
    )

    assert rendered.text_alternative.startswith("Edited\n1. X\n2. Y")


def test_model_kinds_match_the_builders() -> None:
    from richobjects.builders import Kind

    assert sorted(RichObject.Kind.values) == sorted(k.value for k in Kind)
