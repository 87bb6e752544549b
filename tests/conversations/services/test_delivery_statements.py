"""The delivery task's statements (conversations/services/delivery_statements.py).

On PostgreSQL the claim builds the message, its conversation, business,
customer and sender from one joined ``UPDATE … RETURNING``: these tests hold
what it hands back to what the ORM reads afterwards, field by field, and check
the order and once-only rules the claim enforces. On SQLite the same tests run
against the ORM's statements."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import models
from django.utils import timezone

from conversations.models import Message
from conversations.services.delivery_statements import (
    Next,
    claim,
    status_update,
)
from tests.factories import ConversationFactory, MessageFactory

pytestmark = pytest.mark.django_db

LEASE = timedelta(seconds=30)
FILE_LEASE = timedelta(seconds=120)


def fields_of(instance: models.Model) -> dict[str, object]:
    return {
        f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields
    }


def pending(conversation, **fields) -> Message:
    return MessageFactory(
        conversation=conversation, status=Message.Status.PENDING, **fields
    )


def take(message_id: int) -> Message | None:
    return claim(message_id, now=timezone.now(), lease=LEASE, file_lease=FILE_LEASE)


def test_the_claim_hands_back_what_the_orm_reads(conversation, agent):
    message = MessageFactory(
        conversation=conversation,
        status=Message.Status.PENDING,
        sender=agent,
        kind=Message.Kind.RICH_LINK,
        raw={"url": "https://example.com/é", "nested": {"n": [1, 2]}},
        attempts=2,
    )
    claimed = take(message.id)
    assert claimed is not None
    stored = Message.objects.select_related(
        "conversation__business", "conversation__customer", "sender"
    ).get(pk=message.pk)
    assert stored.status == Message.Status.SENDING
    assert stored.attempts == 3
    assert fields_of(claimed) == fields_of(stored)
    assert fields_of(claimed.conversation) == fields_of(stored.conversation)
    assert fields_of(claimed.conversation.business) == fields_of(
        stored.conversation.business
    )
    assert fields_of(claimed.conversation.customer) == fields_of(
        stored.conversation.customer
    )
    assert claimed.sender is not None
    assert fields_of(claimed.sender) == fields_of(stored.sender)
    assert claimed.raw["nested"] == {"n": [1, 2]}  # JSON, not its text


def test_a_message_without_a_sender_is_claimed_with_none(conversation):
    message = pending(conversation)
    claimed = take(message.id)
    assert claimed is not None
    assert claimed.sender is None
    assert claimed.conversation.customer.apple_id == conversation.customer.apple_id


def test_a_message_is_claimed_once(conversation):
    message = pending(conversation)
    assert take(message.id) is not None
    assert take(message.id) is None
    assert Message.objects.get(pk=message.pk).attempts == 1


@pytest.mark.parametrize(
    "status", [Message.Status.PENDING, Message.Status.SENDING, Message.Status.PAUSED]
)
def test_an_unsettled_earlier_message_holds_the_claim(conversation, status):
    MessageFactory(conversation=conversation, status=status)
    later = pending(conversation)
    assert take(later.id) is None
    assert Message.objects.get(pk=later.pk).status == Message.Status.PENDING


def test_another_conversations_messages_do_not_hold_it(conversation):
    MessageFactory(status=Message.Status.PAUSED)  # a conversation of its own
    pending(conversation, direction=Message.Direction.IN)
    message = pending(conversation)
    assert take(message.id) is not None


def test_what_is_not_a_pending_outbound_message_is_not_claimed(conversation):
    sent = MessageFactory(conversation=conversation, status=Message.Status.SENT)
    inbound = pending(conversation, direction=Message.Direction.IN)
    assert take(sent.id) is None
    assert take(inbound.id) is None
    assert take(987654321) is None


def test_files_get_the_longer_lease(conversation):
    now = timezone.now()
    text = pending(conversation)
    claimed = claim(text.id, now=now, lease=LEASE, file_lease=FILE_LEASE)
    assert claimed is not None
    assert Message.objects.get(pk=text.pk).next_attempt_at == now + LEASE
    Message.objects.filter(pk=text.pk).update(status=Message.Status.SENT)
    upload = pending(conversation, kind=Message.Kind.ATTACHMENT)
    assert claim(upload.id, now=now, lease=LEASE, file_lease=FILE_LEASE) is not None
    assert Message.objects.get(pk=upload.pk).next_attempt_at == now + FILE_LEASE


def test_settling_a_message_hands_back_the_conversations_next_one(conversation):
    first = MessageFactory(conversation=conversation, status=Message.Status.SENDING)
    second = pending(conversation, kind=Message.Kind.RICH_LINK)
    third = pending(conversation)
    other = ConversationFactory(customer__business=conversation.business)
    MessageFactory(conversation=other, status=Message.Status.PENDING)
    now = timezone.now()
    sent = {"status": Message.Status.SENT, "sent_at": now, "last_error": ""}

    assert status_update(first, sent, then_next=True) == Next(
        second.id, Message.Kind.RICH_LINK
    )
    stored = Message.objects.get(pk=first.pk)
    assert (stored.status, stored.sent_at) == (Message.Status.SENT, now)

    assert status_update(second, sent, then_next=True) == Next(
        third.id, Message.Kind.TEXT
    )
    assert status_update(third, sent, then_next=True) is None
    assert status_update(third, {"last_error": "x"}) is None
    assert Message.objects.get(pk=third.pk).last_error == "x"
