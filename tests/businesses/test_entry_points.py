from __future__ import annotations

import pytest
from django.test import Client

from businesses import entry_links
from businesses.models import EntryPoint

pytestmark = pytest.mark.django_db


def url(business) -> str:
    return f"/console/businesses/{business.pk}/entry-points/"


def test_entry_link_percent_encodes_every_value():
    link = entry_links.entry_link(
        business_apple_id="0b4a3e0c-1111-4222-8333-444455556666",
        intent="bike-repair",
        group="paris.store_2",
        body="Hello & bonjour? 100% ✓",
    )
    assert link == (
        "https://bcrw.apple.com/urn:biz:0b4a3e0c-1111-4222-8333-444455556666"
        "?biz-intent-id=bike-repair&biz-group-id=paris.store_2"
        "&body=Hello%20%26%20bonjour%3F%20100%25%20%E2%9C%93"
    )


def test_entry_link_without_parameters_has_no_query():
    assert (
        entry_links.entry_link(business_apple_id="abc")
        == "https://bcrw.apple.com/urn:biz:abc"
    )


@pytest.mark.parametrize(
    "value", ["a&b", "a b", "a/b", "a?b", "a#b", "a=b", "a%20b", "ä"]
)
def test_reserved_characters_are_refused_in_intent_and_group(value):
    assert entry_links.token_error(value, label="intent") is not None


@pytest.mark.parametrize("value", ["", "bike-repair", "A.b_c~9"])
def test_unreserved_characters_are_accepted(value):
    assert entry_links.token_error(value, label="intent") is None


def test_qr_codes_are_png_and_svg():
    assert entry_links.qr_png("https://bcrw.apple.com/urn:biz:x").startswith(b"\x89PNG")
    assert b"<svg" in entry_links.qr_svg("https://bcrw.apple.com/urn:biz:x")


def test_admin_saves_a_link_and_sees_it_with_qr_downloads(
    admin_client: Client, business
):
    response = admin_client.post(
        url(business),
        {
            "name": "Repairs",
            "intent": "repair",
            "group": "paris",
            "body": "My bike is broken",
        },
    )
    assert response.status_code == 302
    entry = EntryPoint.objects.get(business=business)
    page = admin_client.get(url(business)).content.decode()
    assert (
        f"urn:biz:{business.apple_id}?biz-intent-id=repair&amp;biz-group-id=paris&amp;body=My%20bike%20is%20broken"
        in page
    )
    assert "Try it in the sandbox" in page

    png = admin_client.get(f"{url(business)}{entry.pk}/qr.png")
    assert png.status_code == 200
    assert png["Content-Type"] == "image/png"
    assert png["Content-Disposition"] == 'attachment; filename="qr-Repairs.png"'
    assert png.content.startswith(b"\x89PNG")
    svg = admin_client.get(f"{url(business)}{entry.pk}/qr.svg")
    assert svg["Content-Type"] == "image/svg+xml"
    assert admin_client.get(f"{url(business)}{entry.pk}/qr.gif").status_code == 404


def test_invalid_values_are_shown_next_to_their_fields(admin_client: Client, business):
    response = admin_client.post(
        url(business),
        {"name": "Bad", "intent": "repair now", "group": "a&b", "body": ""},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "The intent may only use letters, digits and - . _ ~ (not space)" in html
    assert "The group may only use letters" in html
    assert not EntryPoint.objects.exists()


def test_duplicate_names_are_refused(admin_client: Client, business):
    admin_client.post(url(business), {"name": "Repairs", "intent": "repair"})
    response = admin_client.post(url(business), {"name": "Repairs", "intent": "other"})
    assert response.status_code == 400
    assert "already exists" in response.content.decode()


def test_agents_and_other_businesses_cannot_reach_links(
    agent_client: Client, admin_client: Client, business, other_business
):
    theirs = EntryPoint.objects.create(
        business=other_business, name="Theirs", intent="x"
    )
    assert agent_client.get(url(business)).status_code == 403
    assert (
        admin_client.get(f"{url(other_business)}{theirs.pk}/qr.png").status_code == 404
    )
    assert admin_client.get(f"{url(business)}{theirs.pk}/qr.png").status_code == 404
    assert admin_client.post(f"{url(business)}{theirs.pk}/delete/").status_code == 404
    assert EntryPoint.objects.filter(pk=theirs.pk).exists()


def test_admin_edits_a_link_in_place(admin_client: Client, business):
    entry = EntryPoint.objects.create(business=business, name="Shop", intent="shop")
    EntryPoint.objects.create(business=business, name="Taken")
    page = admin_client.get(f"{url(business)}?edit={entry.pk}").content.decode()
    assert f'name="pk" value="{entry.pk}"' in page
    assert 'value="shop"' in page
    fields = {
        "pk": entry.pk,
        "name": "Taken",
        "intent": "shop",
        "group": "",
        "body": "",
    }
    response = admin_client.post(url(business), fields)
    assert response.status_code == 400
    assert "already exists" in response.content.decode()
    fields.update(name="Workshop", intent="repair", group="paris-11")
    assert admin_client.post(url(business), fields).status_code == 302
    entry.refresh_from_db()
    assert (entry.name, entry.intent, entry.group) == ("Workshop", "repair", "paris-11")
    assert EntryPoint.objects.count() == 2
