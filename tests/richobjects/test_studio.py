"""The library studio in the console: pages, tenancy, versions, import/export."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from conversations.models import Business, Membership
from richobjects import services
from richobjects.models import RichObject, RichObjectPublication
from tests.factories import BusinessFactory, MembershipFactory, UserFactory

from .conftest import png_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(business: Business) -> Any:
    # Not staff: business admins never need the Django admin.
    user = UserFactory(username="ada", is_staff=False)
    MembershipFactory(user=user, business=business, role=Membership.Role.ADMIN)
    return user


@pytest.fixture
def studio(admin: Any) -> Client:
    client = Client()
    client.force_login(admin)
    return client


@pytest.fixture
def other_business() -> Business:
    other = BusinessFactory(name="Other Co")
    mallory = UserFactory(username="mallory")
    MembershipFactory(user=mallory, business=other, role=Membership.Role.ADMIN)
    return other


def _quick(business: Business, name: str = "Greeting", **kwargs: Any) -> RichObject:
    return services.rich_object_create(
        business=business,
        name=name,
        kind="quick_reply",
        spec={"summary": "Hi {{customer.name|there}}", "items": ["Yes", "No"]},
        **kwargs,
    )


def _post_editor(client: Client, url: str, spec: Any, **fields: Any) -> Any:
    data = {
        "name": "Greeting",
        "tags": "Hello, Start",
        "scope_team": "",
        "locale": "",
        "text_alternative": "",
        "spec": spec if isinstance(spec, str) else json.dumps(spec),
        "action": "save",
        **fields,
    }
    return client.post(url, data)


def test_empty_library_invites_the_admin_to_create_the_first_object(
    studio: Client, business: Business
) -> None:
    page = studio.get(reverse("library-list", args=[business.pk]))
    assert page.status_code == 200
    assert "Create the first object" in page.content.decode()
    assert reverse("library-new", args=[business.pk]) in page.content.decode()


def test_list_filters_by_search_kind_tag_status_and_team(
    studio: Client, business: Business, admin: Any
) -> None:
    greeting = _quick(business, tags=["hello"], user=admin)
    services.rich_object_publish(rich_object=greeting, user=admin)
    _quick(business, "Returns", tags=["returns"], scope_team="Support")
    url = reverse("library-list", args=[business.pk])

    def names(**query: str) -> list[str]:
        page = studio.get(url, query)
        return [o.name for o in page.context["objects"]]

    assert names() == ["Greeting", "Returns"]
    assert names(q="ret") == ["Returns"]
    assert names(tag="hello") == ["Greeting"]
    assert names(status="draft") == ["Returns"]
    assert names(status="published") == ["Greeting"]
    assert names(team="Support") == ["Returns"]
    assert names(kind="list_picker") == []
    # Who last changed it is on the row.
    assert "ada" in studio.get(url).content.decode()


def test_agents_see_only_published_objects_and_cannot_edit(
    business: Business, agent: Any
) -> None:
    draft = _quick(business, "Draft one")
    published = _quick(business, "Live one")
    services.rich_object_publish(rich_object=published)
    client = Client()
    client.force_login(agent)
    page = client.get(reverse("library-list", args=[business.pk]))
    assert [o.name for o in page.context["objects"]] == ["Live one"]
    assert (
        client.get(reverse("library-edit", args=[business.pk, draft.pk])).status_code
        == 403
    )
    assert client.get(reverse("library-new", args=[business.pk])).status_code == 403


def test_admin_builds_saves_and_publishes_without_staff_access(
    studio: Client, business: Business, admin: Any
) -> None:
    assert not admin.is_staff
    url = reverse("library-new", args=[business.pk]) + "?kind=quick_reply"
    page = studio.get(url)
    assert page.status_code == 200
    assert page.context["studio_config"]["kind"] == "quick_reply"
    response = _post_editor(
        studio, url, {"summary": "Hi {{customer.name|there}}", "items": ["A", "B"]}
    )
    assert response.status_code == 302
    created = RichObject.objects.get(business=business, name="Greeting")
    assert created.state == RichObject.State.DRAFT
    assert created.tags == ["hello", "start"]
    assert created.current_version.created_by == admin
    edit = studio.get(response["Location"])
    assert "agents can't see this yet" in edit.content.decode()

    response = _post_editor(
        studio,
        response["Location"],
        {"summary": "Hi {{customer.name|there}}", "items": ["A", "B", "C"]},
        action="publish",
    )
    assert response.status_code == 302
    created.refresh_from_db()
    assert created.state == RichObject.State.PUBLISHED
    assert created.published_version.number == 2
    publication = RichObjectPublication.objects.get(rich_object=created)
    assert publication.published_by == admin
    assert (
        "agents can't see this yet"
        not in studio.get(response["Location"]).content.decode()
    )


def test_invalid_content_is_refused_with_each_rule_and_nothing_saved(
    studio: Client, business: Business
) -> None:
    url = reverse("library-new", args=[business.pk]) + "?kind=quick_reply"
    response = _post_editor(studio, url, {"summary": "", "items": ["Only one"]})
    assert response.status_code == 400
    errors = response.context["spec_errors"]
    assert errors["summary"] == ["is required"]
    assert "2 to 5 items" in errors["items"][0]
    assert not RichObject.objects.filter(business=business).exists()
    broken = _post_editor(studio, url, "{not json")
    assert broken.status_code == 400
    assert "is not valid JSON" in broken.content.decode()


def test_preview_endpoint_returns_the_builders_rules_and_the_bubble(
    studio: Client, business: Business
) -> None:
    url = reverse("library-preview", args=[business.pk])
    bad = studio.post(
        url,
        {"kind": "list_picker", "spec": {"sections": [{"items": [{}]}]}},
        content_type="application/json",
    )
    assert bad.status_code == 400
    fields = bad.json()["error"]["fields"]
    assert fields["sections[0].items[0].title"] == ["is required"]
    good = studio.post(
        url,
        {
            "kind": "quick_reply",
            "spec": json.dumps(
                {"summary": "Hi {{customer.name|there}}", "items": ["A", "B"]}
            ),
            "sample": True,
        },
        content_type="application/json",
    )
    assert good.status_code == 200
    preview = good.json()["preview"]
    assert preview["received"]["title"] == "Hi Jane Appleseed"
    assert "1. A" in preview["text_alternative"]
    assert studio.post(url, "[]", content_type="application/json").status_code == 400


def test_versions_history_diff_and_restore(
    studio: Client, business: Business, admin: Any
) -> None:
    greeting = _quick(business, user=admin)
    services.rich_object_publish(rich_object=greeting, user=admin)
    services.rich_object_update(
        rich_object=greeting,
        spec={"summary": "Hello", "items": ["Yes", "No", "Maybe"]},
        user=admin,
    )
    history = studio.get(
        reverse("library-history", args=[business.pk, greeting.pk]), {"a": 1, "b": 2}
    )
    assert history.status_code == 200
    changes = {c.path: c for c in history.context["changes"]}
    assert changes["summary"].before == "Hi {{customer.name|there}}"
    assert changes["summary"].after == "Hello"
    assert changes["items[2]"].change == "added"
    assert "what agents send" in history.content.decode()

    restore = studio.post(
        reverse("library-restore", args=[business.pk, greeting.pk, 1])
    )
    assert restore.status_code == 302
    greeting.refresh_from_db()
    assert greeting.current_version.number == 3
    assert greeting.current_version.spec == greeting.versions.get(number=1).spec
    # Restoring is a draft until published: agents still send version 1.
    assert greeting.published_version.number == 1
    missing = studio.post(
        reverse("library-restore", args=[business.pk, greeting.pk, 99])
    )
    assert missing.status_code == 302
    greeting.refresh_from_db()
    assert greeting.current_version.number == 3


def test_images_upload_list_and_serve_within_the_business(
    studio: Client, business: Business, other_business: Business
) -> None:
    url = reverse("library-images", args=[business.pk])
    uploaded = studio.post(
        url, {"file": SimpleUploadedFile("logo.png", png_bytes(), "image/png")}
    )
    assert uploaded.status_code == 201
    image = uploaded.json()["image"]
    assert image["name"] == "logo"
    assert [i["id"] for i in studio.get(url).json()["results"]] == [image["id"]]
    served = studio.get(image["url"])
    assert served.status_code == 200
    assert served.content == png_bytes()
    refused = studio.post(
        url, {"file": SimpleUploadedFile("x.png", b"not an image", "image/png")}
    )
    assert refused.status_code == 400


def test_import_and_export_report_created_updated_and_refused(
    studio: Client, business: Business
) -> None:
    _quick(business)
    export = studio.get(reverse("library-export", args=[business.pk]))
    assert export.status_code == 200
    data = json.loads(export.content)
    assert [o["name"] for o in data["objects"]] == ["Greeting"]
    data["objects"][0]["spec"]["items"] = ["Yes", "No", "Later"]
    data["objects"].append(
        {
            "name": "New one",
            "kind": "quick_reply",
            "spec": {"summary": "Q", "items": ["A", "B"]},
        }
    )
    data["objects"].append(
        {"name": "Broken", "kind": "quick_reply", "spec": {"items": []}}
    )
    url = reverse("library-import", args=[business.pk])
    upload = SimpleUploadedFile(
        "lib.json", json.dumps(data).encode(), "application/json"
    )
    page = studio.post(url, {"file": upload})
    assert page.status_code == 200
    report = page.context["report"]
    assert report.created == ["New one"]
    assert report.updated == ["Greeting"]
    assert "Broken" in report.errors
    assert "Refused" in page.content.decode()
    junk = studio.post(
        url, {"file": SimpleUploadedFile("x.json", b"{oops", "application/json")}
    )
    assert junk.status_code == 400
    assert "not a JSON file" in junk.content.decode()


@pytest.mark.parametrize(
    ("method", "name", "extra"),
    [
        ("get", "library-list", []),
        ("get", "library-new", []),
        ("get", "library-edit", ["object"]),
        ("post", "library-edit", ["object"]),
        ("post", "library-state", ["object"]),
        ("get", "library-history", ["object"]),
        ("post", "library-restore", ["object", 1]),
        ("post", "library-preview", []),
        ("get", "library-images", []),
        ("get", "library-image", ["image"]),
        ("get", "library-export", []),
        ("post", "library-import", []),
    ],
)
def test_an_admin_of_another_business_cannot_see_or_change_this_library(
    business: Business,
    other_business: Business,
    method: str,
    name: str,
    extra: list[Any],
) -> None:
    greeting = _quick(business)
    image = services.rich_image_create(business=business, name="logo", data=png_bytes())
    values = {"object": greeting.pk, "image": image.pk}
    mallory = Client()
    mallory.force_login(other_business.memberships.get().user)
    args = [business.pk, *[values.get(e, e) for e in extra]]
    response = getattr(mallory, method)(
        reverse(name, args=args), {"action": "archive", "name": "Pwned", "spec": "{}"}
    )
    assert response.status_code == 404
    greeting.refresh_from_db()
    assert greeting.name == "Greeting"
    assert greeting.state == RichObject.State.DRAFT
    # Their own business's URL with this business's object id finds nothing either.
    if "object" in extra:
        own = [other_business.pk, *[values.get(e, e) for e in extra]]
        assert getattr(mallory, method)(reverse(name, args=own)).status_code == 404


def test_the_rest_api_keeps_other_tenants_out(
    business: Business, other_business: Business
) -> None:
    from rest_framework.test import APIClient

    _quick(business)
    api = APIClient()
    api.force_authenticate(other_business.memberships.get().user)
    assert (
        api.get(f"/api/v1/businesses/{business.pk}/rich-objects/export").status_code
        == 404
    )
    refused = api.post(
        f"/api/v1/businesses/{business.pk}/rich-objects/import",
        {"format": "msp-console.richobjects", "version": 1, "objects": []},
        format="json",
    )
    assert refused.status_code == 404


def test_placeholder_fallbacks_fill_unknown_values_and_only_others_are_required() -> (
    None
):
    from richobjects.builders import render_placeholders, required_placeholders_in

    spec = {"summary": "Hi {{customer.name|there}}, order {{order.id}}"}
    assert render_placeholders(spec, {"order": {"id": "42"}}) == {
        "summary": "Hi there, order 42"
    }
    assert render_placeholders(spec, {"customer": {"name": "Ann"}, "order.id": 7}) == {
        "summary": "Hi Ann, order 7"
    }
    assert required_placeholders_in(spec) == ["order.id"]


def test_sandbox_try_it_sends_only_within_the_admins_business(
    studio: Client, business: Business, other_business: Business
) -> None:
    greeting = _quick(business)
    url = reverse("sandbox:try-rich-object", args=[business.pk, greeting.pk])
    mallory = Client()
    mallory.force_login(other_business.memberships.get().user)
    assert mallory.post(url, {"choice": "x"}).status_code == 404
    # No such sandbox customer in this business: a clear 400, nothing sent.
    refused = studio.post(url, {"choice": "nobody"})
    assert refused.status_code == 400
    assert "Choose a sandbox customer" in refused.content.decode()
    editor = studio.get(reverse("library-edit", args=[business.pk, greeting.pk]))
    assert "Send to a sandbox customer" in editor.content.decode()
