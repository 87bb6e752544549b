"""Retention: each business's conversations, closed or resolved and quiet for
longer than its ``retention_days``, are deleted with their files, nightly."""

from __future__ import annotations

from datetime import timedelta

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from conversations.models import Attachment, Conversation

from . import audit
from .models import SecurityPolicy

BATCH = 200


def expired_conversations(policy: SecurityPolicy) -> list[int]:
    if policy.retention_days is None:
        return []
    cutoff = timezone.now() - timedelta(days=policy.retention_days)
    return list(
        Conversation.objects.filter(business_id=policy.business_id)
        .filter(
            # Closed by the customer, then maybe resolved by an agent.
            Q(
                status__in=[Conversation.Status.RESOLVED, Conversation.Status.CLOSED],
                closed_at__lt=cutoff,
            )
            | Q(
                status__in=[Conversation.Status.RESOLVED, Conversation.Status.CLOSED],
                closed_at__isnull=True,
                last_message_at__lt=cutoff,
            )
        )
        .values_list("pk", flat=True)[:BATCH]
    )


def conversations_purge(conversation_ids: list[int]) -> tuple[int, list[str]]:
    """Delete the conversations and their rows; return (rows, stored file names)
    for the caller to delete from storage once the rows are gone."""
    names = [
        name
        for pair in Attachment.objects.filter(
            message__conversation_id__in=conversation_ids
        ).values_list("file", "thumbnail")
        for name in pair
        if name
    ]
    rows, _ = Conversation.objects.filter(pk__in=conversation_ids).delete()
    return rows, names


def retention_apply(policy: SecurityPolicy) -> int:
    """One business: delete what expired, batch by batch; returns conversations."""
    total = 0
    while ids := expired_conversations(policy):
        with transaction.atomic():
            rows, names = conversations_purge(ids)
            audit.record(
                action="retention.deleted",
                business_id=policy.business_id,
                target_type="conversations.conversation",
                target_label=f"{len(ids)} conversations older than {policy.retention_days} days",
                changes={
                    "conversations": [len(ids), 0],
                    "files": [len(names), 0],
                    "rows": [rows, 0],
                },
            )
        for name in names:
            default_storage.delete(name)
        total += len(ids)
    return total


def retention_sweep() -> dict[int, int]:
    done: dict[int, int] = {}
    for policy in SecurityPolicy.objects.filter(retention_days__isnull=False):
        done[policy.business_id] = retention_apply(policy)
    return done
