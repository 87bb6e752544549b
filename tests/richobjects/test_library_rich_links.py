"""Rich links sent from the library always carry ``assets.image`` (spec §7.4),
by the rule typed links follow: the page's image or icon, else the business's
logo, else a generated image. What the author gave (title, image, video) stays.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from PIL import Image

from conversations import services as conversation_services
from conversations.models import Message
from richobjects import services as rich_services
from richobjects.models import RichObject
from tests.link_pages import serve_pages

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    with serve_pages() as url:
        yield url


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


def send_link(conversation, agent, spec: dict[str, Any]) -> dict[str, Any]:
    rich_object = rich_services.rich_object_publish(
        rich_object=rich_services.rich_object_create(
            business=conversation.business,
            name="link",
            kind=RichObject.Kind.RICH_LINK,
            spec=spec,
        )
    )
    message = rich_services.rich_object_send(
        conversation=conversation, object_or_version=rich_object, sender=agent
    )
    conversation_services.message_deliver(message_id=message.id)
    message.refresh_from_db()
    assert message.status == Message.Status.SENT, message.last_error
    return message.raw["richLinkData"]


def sent_link(apple_gateway) -> dict[str, Any]:
    (request,) = apple_gateway.requests
    assert request.json["type"] == "richLink"
    return request.json["richLinkData"]


def image_of(link: dict[str, Any]) -> Image.Image:
    image = link["assets"]["image"]
    data = base64.b64decode(image["data"])
    assert len(data) <= 200 * 1024
    assert image["mimeType"].startswith("image/")
    return Image.open(io.BytesIO(data))


def test_a_library_link_without_image_gets_the_page_icon(
    conversation, agent, apple_gateway, site: str
) -> None:
    stored = send_link(conversation, agent, {"url": f"{site}/plain", "title": "Ours"})
    link = sent_link(apple_gateway)
    assert link["title"] == "Ours"
    # The page's icon: 32x32 red (tests/conversations/test_rich_links.py).
    assert image_of(link).size == (32, 32)
    assert stored == link  # kept: a retry sends the same without fetching


def test_a_library_link_to_an_unreadable_page_gets_the_business_logo(
    conversation, agent, apple_gateway, site: str
) -> None:
    conversation.business.logo_url = f"{site}/icon.png"
    conversation.business.save(update_fields=["logo_url"])
    send_link(conversation, agent, {"url": f"{site}/missing"})
    assert image_of(sent_link(apple_gateway)).size == (32, 32)


def test_a_library_link_with_nothing_to_show_gets_a_generated_image(
    conversation, agent, apple_gateway, site: str
) -> None:
    send_link(conversation, agent, {"url": f"{site}/missing", "title": "Gone"})
    link = sent_link(apple_gateway)
    assert link["title"] == "Gone"
    assert image_of(link).size == (120, 120)


def test_a_library_link_keeps_its_own_image_and_video(
    conversation, agent, apple_gateway, site: str, png_base64: str
) -> None:
    send_link(
        conversation,
        agent,
        {
            "url": f"{site}/plain",
            "image": {"data": png_base64, "mime_type": "image/png"},
        },
    )
    assert sent_link(apple_gateway)["assets"]["image"]["data"] == png_base64


def test_a_library_link_with_only_a_video_gets_an_image_too(
    conversation, agent, apple_gateway, site: str
) -> None:
    video = {"url": "https://cdn.example/ride.mp4", "mime_type": "video/mp4"}
    send_link(conversation, agent, {"url": f"{site}/plain", "video": video})
    link = sent_link(apple_gateway)
    assert link["assets"]["video"] == {
        "url": "https://cdn.example/ride.mp4",
        "mimeType": "video/mp4",
    }
    assert image_of(link).size == (32, 32)
