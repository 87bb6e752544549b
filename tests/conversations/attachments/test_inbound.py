"""Customers' files: stored at once, fetched by a task, decrypted into storage."""

from __future__ import annotations

import hashlib
import os

import pytest
from django.test import Client

from conversations import attachments
from conversations.models import Attachment, Message
from tests.conversations.attachments.conftest import FakeMmcs, png_bytes
from tests.helpers import django_headers, inbound_body, inbound_request

pytestmark = pytest.mark.django_db


def deliver(client: Client, business, descriptors: list[dict], body: str = "\ufffc"):
    payload = inbound_body(
        business_id=business.apple_id, body=body, attachments=descriptors
    )
    data, headers = inbound_request(payload)
    response = client.post(
        "/message",
        data=data,
        content_type="application/json",
        headers=django_headers(headers),
    )
    assert response.status_code == 200
    return Message.objects.get(apple_id=payload["id"])


def test_inbound_photo_is_fetched_decrypted_and_sniffed(
    client, business, mmcs: FakeMmcs, django_capture_on_commit_callbacks
):
    photo = png_bytes()
    # The device says JPEG; the bytes say PNG, and the bytes win.
    descriptor = mmcs.put(photo, name="IMG_0001.jpg", mime="image/jpeg")
    with django_capture_on_commit_callbacks(execute=True):
        message = deliver(client, business, [descriptor])
    assert message.kind == Message.Kind.ATTACHMENT
    attachment = message.attachments.get()
    assert attachment.status == Attachment.Status.STORED
    assert attachment.mime_type == "image/png"
    assert attachment.size == len(photo)
    assert attachment.sha256 == hashlib.sha256(photo).hexdigest()
    with attachment.file.open("rb") as stored:
        assert stored.read() == photo
    assert attachment.thumbnail
    assert "key" not in attachment.apple_descriptor


def test_older_descriptor_spelling_is_accepted(
    client, business, mmcs: FakeMmcs, django_capture_on_commit_callbacks
):
    data = os.urandom(5000)
    descriptor = mmcs.put(data, name="memo.caf", mime="audio/x-caf", older=True)
    with django_capture_on_commit_callbacks(execute=True):
        message = deliver(client, business, [descriptor])
    attachment = message.attachments.get()
    assert attachment.status == Attachment.Status.STORED
    assert attachment.sha256 == hashlib.sha256(data).hexdigest()


def test_rows_exist_before_the_fetch_and_the_fetch_waits_for_commit(
    client, business, mmcs: FakeMmcs, django_capture_on_commit_callbacks
):
    descriptors = [
        mmcs.put(b"%PDF-1.4 one", name="a.pdf", mime="application/pdf"),
        mmcs.put(b"%PDF-1.4 two", name="b.pdf", mime="application/pdf"),
    ]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message = deliver(client, business, descriptors, body="two files \ufffc\ufffc")
    rows = list(message.attachments.all())
    assert [row.status for row in rows] == ["pending", "pending"]
    assert [row.name for row in rows] == ["a.pdf", "b.pdf"]
    assert not any(r.path == "/v1/preDownload" for r in mmcs.gateway.requests)
    assert len(callbacks) >= 2
    for callback in callbacks:
        callback()
    assert {row.status for row in message.attachments.all()} == {"stored"}


def test_empty_file_is_stored_without_a_download(
    client, business, mmcs: FakeMmcs, django_capture_on_commit_callbacks
):
    descriptor = mmcs.put(b"", name="empty.txt", mime="text/plain")
    with django_capture_on_commit_callbacks(execute=True):
        message = deliver(client, business, [descriptor])
    attachment = message.attachments.get()
    assert attachment.status == Attachment.Status.STORED
    assert attachment.size == 0
    assert attachment.sha256 == hashlib.sha256(b"").hexdigest()


def test_transient_failures_are_retried_then_the_file_is_stored(
    client, business, mmcs: FakeMmcs, django_capture_on_commit_callbacks
):
    descriptor = mmcs.put(b"%PDF-1.7 retry", name="r.pdf", mime="application/pdf")
    mmcs.gateway.fail_next(2, status=503)
    with django_capture_on_commit_callbacks(execute=True):
        message = deliver(client, business, [descriptor])
    attachment = message.attachments.get()
    assert attachment.status == Attachment.Status.STORED
    assert attachment.attempts == 3


def test_permanent_failure_is_shown_and_can_be_retried(
    client,
    business,
    agent,
    api_client,
    mmcs: FakeMmcs,
    django_capture_on_commit_callbacks,
):
    descriptor = mmcs.put(b"%PDF-1.7 gone", name="g.pdf", mime="application/pdf")
    mmcs.gateway.fail_next(1, status=404, body='{"error": "expired"}')
    with django_capture_on_commit_callbacks(execute=True):
        message = deliver(client, business, [descriptor])
    attachment = message.attachments.get()
    assert attachment.status == Attachment.Status.FAILED
    assert "404" in attachment.last_error
    listed = api_client.get(f"/api/v1/messages/{message.id}/").json()
    assert listed["attachments"][0]["status"] == "failed"
    assert listed["attachments"][0]["url"] is None

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(f"/api/v1/attachments/{attachment.id}/retry/")
    assert response.status_code == 200, response.content
    attachment.refresh_from_db()
    assert attachment.status == Attachment.Status.STORED
    again = api_client.post(f"/api/v1/attachments/{attachment.id}/retry/")
    assert again.status_code == 409


def test_giving_up_after_the_last_retry_marks_the_file_failed(
    client, business, mmcs: FakeMmcs, django_capture_on_commit_callbacks
):
    descriptor = mmcs.put(b"%PDF-1.7 down", name="d.pdf", mime="application/pdf")
    mmcs.gateway.fail_next(50, status=503)
    with django_capture_on_commit_callbacks(execute=True):
        message = deliver(client, business, [descriptor])
    attachment = message.attachments.get()
    assert attachment.status == Attachment.Status.FAILED
    assert "503" in attachment.last_error
    # The conversation goes on: a later text is stored as usual.
    mmcs.gateway.failures.clear()
    later = deliver(client, business, [], body="still there?")
    assert later.kind == Message.Kind.TEXT


def test_a_fetch_runs_once_even_when_the_task_is_delivered_twice(
    client, business, mmcs: FakeMmcs, django_capture_on_commit_callbacks
):
    descriptor = mmcs.put(b"%PDF-1.7 twice", name="t.pdf", mime="application/pdf")
    with django_capture_on_commit_callbacks(execute=True):
        message = deliver(client, business, [descriptor])
    attachment = message.attachments.get()
    downloads = sum(r.path == "/v1/preDownload" for r in mmcs.gateway.requests)
    attachments.attachment_fetch(attachment_id=attachment.id)
    assert sum(r.path == "/v1/preDownload" for r in mmcs.gateway.requests) == downloads
