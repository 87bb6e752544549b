"""Rich links: reading a real page over HTTP, the private-address guard, and how text is split."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator

import pytest
from django.core.cache import cache
from PIL import Image

from conversations import services as conversation_services
from conversations.models import Message
from conversations.rich_links import rich_link_data_for, rich_link_plan, urls_in
from tests.link_pages import PAGES, serve_pages


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    with serve_pages() as url:
        yield url


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


def test_open_graph_title_and_image_shrunk_under_200_kb(site: str) -> None:
    data = rich_link_data_for(f"{site}/og")
    assert data["title"] == "Gravel 700 & friends"
    image = base64.b64decode(data["assets"]["image"]["data"])
    assert len(image) <= 200 * 1024
    assert data["assets"]["image"]["mimeType"] == "image/jpeg"
    Image.open(io.BytesIO(image)).verify()


def test_title_and_favicon_when_there_is_no_open_graph(site: str) -> None:
    data = rich_link_data_for(f"{site}/redirect")
    assert data["url"] == f"{site}/redirect"
    assert data["title"] == "Acme Bikes"
    assert data["assets"]["image"]["mimeType"] == "image/png"


def _generated(data: dict) -> bool:
    """The last-resort image: a small PNG with the host's initial (spec §7.4)."""
    image = base64.b64decode(data["assets"]["image"]["data"])
    return data["assets"]["image"]["mimeType"] == "image/png" and len(image) < 20_000


def test_unreadable_page_falls_back_to_host_title(site: str) -> None:
    data = rich_link_data_for(f"{site}/missing")
    assert {k: data[k] for k in ("url", "title")} == {
        "url": f"{site}/missing",
        "title": "127.0.0.1",
    }
    # Apple requires assets: a link always carries an image.
    assert _generated(data)
    assert rich_link_data_for(f"{site}/huge")["title"] == "127.0.0.1"


def test_without_a_page_image_the_business_logo_is_used(site: str) -> None:
    data = rich_link_data_for(f"{site}/missing", logo_url=f"{site}/icon.png")
    logo = base64.b64decode(data["assets"]["image"]["data"])
    Image.open(io.BytesIO(logo)).verify()
    assert logo == base64.b64decode(
        rich_link_data_for(f"{site}/redirect")["assets"]["image"]["data"]
    )


def test_private_addresses_are_not_fetched_unless_allowed(site: str, settings) -> None:
    settings.ALLOWED_PRIVATE_NETWORKS = []
    data = rich_link_data_for(f"{site}/og", logo_url=f"{site}/icon.png")
    # Neither the page nor the logo was read: the link with a generated image.
    assert {k: data[k] for k in ("url", "title")} == {
        "url": f"{site}/og",
        "title": "127.0.0.1",
    }
    assert _generated(data)


def test_results_are_cached(site: str) -> None:
    first = rich_link_data_for(f"{site}/plain")
    PAGES["/plain"] = ("text/html", b"<title>Changed</title>")
    try:
        assert rich_link_data_for(f"{site}/plain") == first
    finally:
        PAGES["/plain"] = (
            "text/html",
            b"<html><head><title> Acme   Bikes </title>"
            b'<link rel="icon" href="/icon.png"></head></html>',
        )


def test_urls_in_text_and_the_plan() -> None:
    text = "See https://acme.example/a, and (https://acme.example/b). Again https://acme.example/a"
    assert urls_in(text) == ["https://acme.example/a", "https://acme.example/b"]
    assert rich_link_plan("  https://acme.example/x  ") == (
        "https://acme.example/x",
        [],
    )
    assert rich_link_plan(text) == (
        "",
        ["https://acme.example/a", "https://acme.example/b"],
    )
    assert rich_link_plan("no links here") == ("", [])


@pytest.mark.django_db
def test_agent_text_with_urls_goes_out_as_text_then_rich_links(
    conversation, agent, apple_gateway, site: str
) -> None:
    text = f"Our bikes: {site}/og and more"
    message = conversation_services.message_send(
        conversation=conversation, sender=agent, text=text
    )
    link = Message.objects.get(conversation=conversation, kind=Message.Kind.RICH_LINK)
    assert link.id > message.id
    for row in (message, link):
        conversation_services.message_deliver(message_id=row.id)
    first, second = (r.json for r in apple_gateway.requests)
    assert first["type"] == "text"
    assert first["body"] == text
    assert second["type"] == "richLink"
    assert second["richLinkData"]["title"] == "Gravel 700 & friends"


@pytest.mark.django_db
def test_a_message_that_is_only_a_url_is_one_rich_link(
    conversation, agent, apple_gateway, site: str
) -> None:
    message = conversation_services.message_send(
        conversation=conversation, sender=agent, text=f"{site}/plain"
    )
    assert message.kind == Message.Kind.RICH_LINK
    conversation_services.message_deliver(message_id=message.id)
    (sent,) = apple_gateway.requests
    assert sent.json["type"] == "richLink"
    assert sent.json["richLinkData"]["title"] == "Acme Bikes"
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    # Kept, so a retry sends the same preview without fetching again.
    assert message.raw["richLinkData"] == sent.json["richLinkData"]
