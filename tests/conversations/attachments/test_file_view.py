"""Files reach agents only through the authorised view, streamed."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from rest_framework.test import APIClient

from conversations.models import Attachment, Membership, Message
from tests.conversations.attachments.conftest import png_bytes
from tests.factories import (
    BusinessFactory,
    ConversationFactory,
    MembershipFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def stored(conversation, data: bytes, *, name: str, mime: str) -> Attachment:
    message = Message.objects.create(
        conversation=conversation,
        direction=Message.Direction.IN,
        kind=Message.Kind.ATTACHMENT,
        status=Message.Status.RECEIVED,
    )
    attachment = Attachment(
        message=message,
        name=name,
        mime_type=mime,
        size=len(data),
        status=Attachment.Status.STORED,
    )
    attachment.file.save(name, ContentFile(data), save=False)
    attachment.save()
    return attachment


def test_member_gets_the_file_streamed_with_safe_headers(api_client, conversation):
    attachment = stored(
        conversation, b"%PDF-1.4 x", name="a.pdf", mime="application/pdf"
    )
    response = api_client.get(f"/api/v1/attachments/{attachment.id}/file/")
    assert response.status_code == 200
    assert response.streaming
    assert b"".join(response.streaming_content) == b"%PDF-1.4 x"
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "private" in response["Cache-Control"]


def test_other_files_download_and_never_render_as_pages(api_client, conversation):
    attachment = stored(
        conversation, b"BEGIN:VCARD\r\nEND:VCARD", name="me.vcf", mime="text/vcard"
    )
    response = api_client.get(f"/api/v1/attachments/{attachment.id}/file/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Security-Policy"] == "sandbox"


def test_agent_of_another_business_cannot_fetch_or_retry(conversation):
    attachment = stored(conversation, png_bytes(), name="p.png", mime="image/png")
    outsider = UserFactory(username="mallory")
    MembershipFactory(
        user=outsider, business=BusinessFactory(), role=Membership.Role.ADMIN
    )
    client = APIClient()
    client.force_authenticate(outsider)
    for path in ("file", "thumbnail"):
        response = client.get(f"/api/v1/attachments/{attachment.id}/{path}/")
        assert response.status_code == 404
    assert client.post(f"/api/v1/attachments/{attachment.id}/retry/").status_code == 404


def test_anonymous_visitor_gets_nothing(conversation):
    attachment = stored(conversation, png_bytes(), name="p.png", mime="image/png")
    response = Client().get(f"/api/v1/attachments/{attachment.id}/file/")
    assert response.status_code in (401, 403)


def test_console_session_can_load_images_and_thumbnail_is_made_once(
    agent, conversation
):
    attachment = stored(
        conversation, png_bytes((2000, 1500)), name="p.png", mime="image/png"
    )
    browser = Client()
    browser.force_login(agent)
    first = browser.get(
        f"/api/v1/attachments/{attachment.id}/thumbnail/",
        headers={"Accept": "image/avif,image/webp,image/*,*/*;q=0.8"},
    )
    assert first.status_code == 200
    assert first["Content-Type"] == "image/jpeg"
    attachment.refresh_from_db()
    name = attachment.thumbnail.name
    assert name
    browser.get(f"/api/v1/attachments/{attachment.id}/thumbnail/")
    attachment.refresh_from_db()
    assert attachment.thumbnail.name == name
    from PIL import Image

    with attachment.thumbnail.open("rb") as handle, Image.open(handle) as image:
        assert max(image.size) <= 480


def test_a_file_not_fetched_yet_is_not_found(api_client, conversation):
    message = Message.objects.create(
        conversation=conversation,
        direction=Message.Direction.IN,
        kind=Message.Kind.ATTACHMENT,
        status=Message.Status.RECEIVED,
    )
    attachment = Attachment.objects.create(message=message, name="later.pdf")
    response = api_client.get(f"/api/v1/attachments/{attachment.id}/file/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_stored"


def test_other_conversations_in_the_same_business_are_visible(api_client, business):
    conversation = ConversationFactory(customer__business=business)
    attachment = stored(conversation, b"%PDF-1.4", name="a.pdf", mime="application/pdf")
    assert (
        api_client.get(f"/api/v1/attachments/{attachment.id}/file/").status_code == 200
    )
