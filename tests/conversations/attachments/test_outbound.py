"""Agents' and bots' files: multipart in, checked, stored, uploaded, then sent."""

from __future__ import annotations

import hashlib
import zipfile
from io import BytesIO

import httpx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from conversations.apple.crypto import decrypt_bytes, key_from_wire
from conversations.models import Attachment, Message
from tests.conversations.attachments.conftest import FakeMmcs, png_bytes

pytestmark = pytest.mark.django_db


def upload(name: str, data: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def post_files(api_client, conversation, files, **fields):
    return api_client.post(
        f"/api/v1/conversations/{conversation.id}/attachments/",
        {"files": files, **fields},
        format="multipart",
    )


def pkpass_bytes() -> bytes:
    out = BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("pass.json", '{"formatVersion": 1}')
    return out.getvalue()


def test_files_are_uploaded_then_sent_with_one_placeholder_each(
    api_client, conversation, mmcs: FakeMmcs, django_capture_on_commit_callbacks
):
    photo, ticket = png_bytes(), pkpass_bytes()
    with django_capture_on_commit_callbacks(execute=True):
        response = post_files(
            api_client,
            conversation,
            [
                upload("photo.png", photo, "image/png"),
                upload("ticket.pkpass", ticket, "application/zip"),
            ],
            text="Your ticket 🎟️",
        )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["kind"] == "attachment"
    assert [a["name"] for a in data["attachments"]] == ["photo.png", "ticket.pkpass"]
    assert data["attachments"][0]["thumbnail_url"]
    message = Message.objects.get(id=data["id"])
    assert message.status == Message.Status.SENT
    [sent] = mmcs.sent_messages()
    assert sent["body"] == "Your ticket 🎟️\ufffc\ufffc"
    wire = sent["attachments"]
    assert [w["mimeType"] for w in wire] == [
        "image/png",
        "application/vnd.apple.pkpass",
    ]
    for item, plain in zip(wire, (photo, ticket), strict=True):
        assert int(item["size"]) == len(plain)
        encrypted = mmcs.blobs[item["url"]]
        assert encrypted != plain
        assert decrypt_bytes(key_from_wire(item["key"]), encrypted) == plain
        assert item["signature-base64"]
    assert {a.status for a in message.attachments.all()} == {"uploaded"}


def test_a_retried_delivery_does_not_upload_again(
    api_client, conversation, mmcs: FakeMmcs, django_capture_on_commit_callbacks
):
    # preUpload and upload succeed, then /message fails twice.
    original = mmcs.gateway.handle
    message_failures = [503, 503]

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/message" and message_failures:
            return httpx.Response(message_failures.pop())
        return original(request)

    mmcs.gateway.handle = handle  # type: ignore[method-assign]
    with django_capture_on_commit_callbacks(execute=True):
        response = post_files(
            api_client, conversation, [upload("a.pdf", b"%PDF-1.4 hello")]
        )
    assert response.status_code == 201, response.content
    message = Message.objects.get(id=response.json()["id"])
    assert message.status == Message.Status.SENT
    assert message.attempts == 3
    assert mmcs.uploads == 1


def test_caption_is_optional(
    api_client, conversation, mmcs: FakeMmcs, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_files(api_client, conversation, [upload("x.pdf", b"%PDF-1")])
    assert response.status_code == 201
    [sent] = mmcs.sent_messages()
    assert sent["body"] == "\ufffc"


def test_type_is_sniffed_not_trusted(api_client, conversation, mmcs: FakeMmcs):
    windows_exe = b"MZ\x90\x00" + bytes(200)
    response = post_files(
        api_client,
        conversation,
        [upload("invoice.pdf", windows_exe, "application/pdf")],
    )
    assert response.status_code == 415
    error = response.json()["error"]
    assert error["code"] == "file_type_not_allowed"
    assert "invoice.pdf" in error["message"]
    assert not Attachment.objects.exists()


def test_business_setting_narrows_the_allowed_types(
    api_client, conversation, business, mmcs: FakeMmcs
):
    business.allowed_attachment_types = ["application/pdf"]
    business.save()
    response = post_files(api_client, conversation, [upload("p.png", png_bytes())])
    assert response.status_code == 415
    ok = post_files(api_client, conversation, [upload("p.pdf", b"%PDF-1.4")])
    assert ok.status_code == 201


def test_empty_file_is_refused_clearly(api_client, conversation, mmcs: FakeMmcs):
    response = post_files(api_client, conversation, [upload("empty.pdf", b"")])
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "empty_file"


def test_no_files_is_a_validation_error(api_client, conversation):
    response = api_client.post(
        f"/api/v1/conversations/{conversation.id}/attachments/",
        {"text": "hello"},
        format="multipart",
    )
    assert response.status_code == 400


def test_other_business_conversation_is_not_found(api_client, mmcs: FakeMmcs):
    from tests.factories import ConversationFactory

    other = ConversationFactory()
    response = post_files(api_client, other, [upload("a.pdf", b"%PDF-1.4")])
    assert response.status_code == 404
    assert not Attachment.objects.exists()


def test_closed_conversation_refuses_files(api_client, conversation, mmcs: FakeMmcs):
    conversation.status = conversation.Status.CLOSED
    conversation.save()
    response = post_files(api_client, conversation, [upload("a.pdf", b"%PDF-1.4")])
    assert response.status_code == 409


def test_stored_file_matches_what_was_posted(api_client, conversation, mmcs: FakeMmcs):
    data = b"%PDF-1.4\n" + bytes(range(256)) * 100
    response = post_files(api_client, conversation, [upload("big.pdf", data)])
    attachment = Attachment.objects.get(id=response.json()["attachments"][0]["id"])
    assert attachment.sha256 == hashlib.sha256(data).hexdigest()
    file = api_client.get(f"/api/v1/attachments/{attachment.id}/file/")
    assert file.status_code == 200
    assert b"".join(file.streaming_content) == data


def test_a_long_upload_renews_the_claim_so_the_sweeper_leaves_it(conversation):
    from datetime import timedelta

    from django.utils import timezone

    from conversations.attachments.files import LEASE_EVERY_BYTES, leased_chunks

    message = Message.objects.create(
        conversation=conversation,
        direction=Message.Direction.OUT,
        kind=Message.Kind.ATTACHMENT,
        status=Message.Status.SENDING,
    )
    stale = timezone.now() - timedelta(minutes=5)
    Message.objects.filter(pk=message.pk).update(status_changed_at=stale)
    chunks = [bytes(1024 * 1024)] * (LEASE_EVERY_BYTES // (1024 * 1024) + 1)
    assert (
        sum(len(c) for c in leased_chunks(chunks, message.id))
        == len(chunks) * 1024 * 1024
    )
    message.refresh_from_db()
    assert message.status_changed_at > stale + timedelta(minutes=4)


def test_delivery_of_files_is_enqueued_with_room_for_a_long_upload(
    api_client, conversation, monkeypatch, django_capture_on_commit_callbacks
):
    from conversations import tasks

    calls = []
    monkeypatch.setattr(
        tasks.message_deliver, "apply_async", lambda *a, **kw: calls.append((a, kw))
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = post_files(api_client, conversation, [upload("a.pdf", b"%PDF-1.4")])
    assert response.status_code == 201
    [(args, options)] = calls
    assert args == ((response.json()["id"],),)
    assert options["soft_time_limit"] >= 600
