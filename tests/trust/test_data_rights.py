"""Export and erasure of one customer's data (console, API, Celery task)."""

from __future__ import annotations

import io
import json
import os
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from conversations.models import Attachment, Conversation, Customer, Membership, Message
from insights.models import CsatSurvey
from integrations.models import CustomerIdentity
from tests.factories import (
    AttachmentFactory,
    BusinessFactory,
    ConversationFactory,
    MessageFactory,
    UserFactory,
)
from trust.models import AuditEntry, DataRequest

pytestmark = pytest.mark.django_db

PHOTO = bytes(range(256)) * 300


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def admin_user(business):
    user = UserFactory(username="ada")
    Membership.objects.create(user=user, business=business, role=Membership.Role.ADMIN)
    return user


@pytest.fixture
def admin_api(admin_user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=admin_user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def customer_data(business) -> Conversation:
    conversation = ConversationFactory(
        customer__business=business, customer__display_name="Zoe"
    )
    MessageFactory(
        conversation=conversation,
        direction=Message.Direction.IN,
        body="my address is 1 Main St",
    )
    message = MessageFactory(
        conversation=conversation, direction=Message.Direction.IN, body=""
    )
    attachment = AttachmentFactory(message=message, name="photo.jpg", status="stored")
    attachment.file.save("x", ContentFile(PHOTO), save=False)
    attachment.thumbnail.save("y", ContentFile(b"thumb-bytes"), save=False)
    attachment.save()
    CsatSurvey.objects.create(
        business=business,
        conversation=conversation,
        resolution=1,
        score=4,
        comment="quick",
    )
    CustomerIdentity.objects.create(
        customer=conversation.customer,
        business=business,
        external_user_id="user-42",
        display_name="Zoe Q",
        access_token="secret-access-token",
    )
    return conversation


def _stored(conversation: Conversation) -> list[str]:
    attachment = Attachment.objects.get(message__conversation=conversation)
    return [attachment.file.name, attachment.thumbnail.name]


def test_export_zip_holds_everything_and_attachments_byte_exact(
    admin_api, customer_data, business, django_capture_on_commit_callbacks
) -> None:
    customer = customer_data.customer
    with django_capture_on_commit_callbacks(execute=True):
        started = admin_api.post(
            f"/api/v1/businesses/{business.id}/customers/{customer.id}/export/"
        )
    assert started.status_code == 202
    status = admin_api.get(f"/api/v1/data-requests/{started.json()['id']}/").json()
    assert status["status"] == "done"
    assert status["progress"] == 100
    download = admin_api.get(status["download"])
    assert download.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    messages = json.loads(archive.read("messages.json"))
    assert messages[0]["body"] == "my address is 1 Main St"
    path = messages[1]["attachments"][0]["file"]
    assert archive.read(path) == PHOTO
    profile = json.loads(archive.read("customer.json"))
    assert profile["display_name"] == "Zoe"
    assert profile["signed_in_as"]["external_user_id"] == "user-42"
    assert "secret-access-token" not in str(
        [archive.read(n) for n in archive.namelist()]
    )
    assert json.loads(archive.read("csat.json"))[0]["score"] == 4
    assert AuditEntry.objects.filter(
        action="customer.exported", business_id=business.id
    ).exists()


def test_erase_leaves_no_row_and_no_file(
    admin_user, customer_data, business, django_capture_on_commit_callbacks
) -> None:
    customer = customer_data.customer
    files = _stored(customer_data)
    assert all(default_storage.exists(name) for name in files)
    console = Client()
    console.force_login(admin_user)
    refused = console.post(
        f"/console/businesses/{business.id}/customers/{customer.id}/erase/"
    )
    assert refused.status_code == 302
    assert Customer.objects.filter(pk=customer.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        console.post(
            f"/console/businesses/{business.id}/customers/{customer.id}/erase/",
            {"confirm": "erase"},
        )
    assert not Customer.objects.filter(pk=customer.pk).exists()
    assert not Conversation.objects.filter(pk=customer_data.pk).exists()
    assert not Message.objects.filter(conversation_id=customer_data.pk).exists()
    assert not Attachment.objects.exists()
    assert not CsatSurvey.objects.exists()
    assert not CustomerIdentity.objects.exists()
    assert not any(default_storage.exists(name) for name in files)
    media = os.path.join(default_storage.location, "attachments")
    assert not os.path.isdir(media) or os.listdir(media) == []
    tombstone = AuditEntry.objects.get(action="customer.erased")
    assert tombstone.target_id == str(customer.pk)
    assert "Zoe" not in json.dumps(tombstone.changes)
    request = DataRequest.objects.get(kind="erase")
    assert request.status == "done"
    page = console.get(f"/console/businesses/{business.id}/customers/")
    assert b"Zoe" not in page.content.split(b'id="customers"')[1]


def test_erase_removes_earlier_exports(
    admin_api, customer_data, business, django_capture_on_commit_callbacks
) -> None:
    customer = customer_data.customer
    with django_capture_on_commit_callbacks(execute=True):
        admin_api.post(
            f"/api/v1/businesses/{business.id}/customers/{customer.id}/export/"
        )
    export = DataRequest.objects.get(kind="export")
    zip_name = export.file.name
    assert default_storage.exists(zip_name)
    with django_capture_on_commit_callbacks(execute=True):
        admin_api.post(
            f"/api/v1/businesses/{business.id}/customers/{customer.id}/erase/"
        )
    assert not default_storage.exists(zip_name)
    assert (
        admin_api.get(f"/api/v1/data-requests/{export.pk}/download/").status_code == 404
    )


def test_agents_and_other_tenants_are_refused(
    api_client, customer_data, business, admin_user
) -> None:
    customer = customer_data.customer
    assert (
        api_client.post(
            f"/api/v1/businesses/{business.id}/customers/{customer.id}/export/"
        ).status_code
        == 403
    )
    other = BusinessFactory(name="Other")
    mallory = UserFactory(username="mallory")
    Membership.objects.create(user=mallory, business=other, role=Membership.Role.ADMIN)
    client = APIClient()
    client.force_authenticate(mallory)
    # Their own business id with our customer: the customer is not theirs.
    response = client.post(
        f"/api/v1/businesses/{other.id}/customers/{customer.id}/erase/"
    )
    assert response.status_code == 404
    assert Customer.objects.filter(pk=customer.pk).exists()
    request = DataRequest.objects.create(
        business=business, customer_id=customer.pk, kind="export"
    )
    assert client.get(f"/api/v1/data-requests/{request.pk}/").status_code == 404
    browser = Client()
    browser.force_login(mallory)
    assert (
        browser.get(f"/console/data-requests/{request.pk}/download/").status_code == 404
    )
