"""Retention: conversations closed longer than the business's period go, files too."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.utils import timezone

from conversations.models import Attachment, Conversation, Membership, Message
from tests.factories import (
    AttachmentFactory,
    BusinessFactory,
    ConversationFactory,
    MessageFactory,
    UserFactory,
)
from trust.models import AuditEntry, SecurityPolicy
from trust.tasks import retention_sweep

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def conversation_with_file(
    business, *, status: str, days_ago: int
) -> tuple[Conversation, str]:
    at = timezone.now() - timedelta(days=days_ago)
    conversation = ConversationFactory(customer__business=business, status=status)
    Conversation.objects.filter(pk=conversation.pk).update(
        closed_at=at if status == Conversation.Status.CLOSED else None,
        last_message_at=at,
    )
    message = MessageFactory(conversation=conversation, direction=Message.Direction.IN)
    attachment = AttachmentFactory(message=message)
    attachment.file.save("f", ContentFile(b"bytes"), save=True)
    return conversation, attachment.file.name


def test_nightly_sweep_deletes_only_what_expired(business) -> None:
    SecurityPolicy.objects.create(business=business, retention_days=30)
    _old_closed, old_file = conversation_with_file(
        business, status="closed", days_ago=31
    )
    _old_resolved, resolved_file = conversation_with_file(
        business, status="resolved", days_ago=40
    )
    recent, recent_file = conversation_with_file(business, status="closed", days_ago=29)
    still_open, open_file = conversation_with_file(business, status="open", days_ago=90)
    elsewhere, other_file = conversation_with_file(
        BusinessFactory(), status="closed", days_ago=365
    )

    retention_sweep.delay()

    remaining = set(Conversation.objects.values_list("pk", flat=True))
    assert remaining == {recent.pk, still_open.pk, elsewhere.pk}
    assert not default_storage.exists(old_file)
    assert not default_storage.exists(resolved_file)
    assert all(default_storage.exists(n) for n in (recent_file, open_file, other_file))
    assert Attachment.objects.count() == 3
    entry = AuditEntry.objects.get(action="retention.deleted")
    assert entry.business_id == business.id
    assert entry.changes["conversations"] == [2, 0]
    assert entry.actor_label == ""


def test_admin_sets_the_period_and_bad_input_is_refused(business) -> None:
    admin = UserFactory(username="ada")
    Membership.objects.create(user=admin, business=business, role=Membership.Role.ADMIN)
    client = Client()
    client.force_login(admin)
    url = f"/console/businesses/{business.id}/security/"
    assert client.post(url, {"retention_days": "-3"}).status_code == 400
    assert client.post(url, {"retention_days": "many"}).status_code == 400
    assert client.post(url, {"retention_days": "90"}).status_code == 302
    assert SecurityPolicy.objects.get(business=business).retention_days == 90
    assert client.post(url, {"retention_days": ""}).status_code == 302
    assert SecurityPolicy.objects.get(business=business).retention_days is None


def test_the_sweep_is_scheduled_nightly(settings) -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["retention-sweep"]
    assert entry["task"] == "trust.retention_sweep"
    assert entry["schedule"].hour == {3}
