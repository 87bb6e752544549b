"""The event log and derived times, on hand-built timelines and from the core's events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from conversations.models import Conversation
from conversations.services import (
    conversation_assign,
    conversation_set_status,
    message_send,
)
from insights import services
from insights.models import ConversationEvent, ConversationFacts
from tests.factories import MembershipFactory, UserFactory

from .helpers import customer_writes

pytestmark = pytest.mark.django_db

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def kinds(conversation: Conversation) -> list[str]:
    return list(
        ConversationEvent.objects.filter(conversation=conversation).values_list(
            "kind", flat=True
        )
    )


def test_reopen_keeps_first_response_and_moves_resolution(conversation, agent) -> None:
    cid = conversation.id
    services.facts_open(conversation_id=cid, opened_at=at(0))
    services.agent_reply_record(conversation_id=cid, sender_id=agent.pk, at=at(10))
    services.status_change_record(
        conversation_id=cid,
        old_status="open",
        new_status="resolved",
        actor_id=agent.pk,
        at=at(30),
    )
    facts = ConversationFacts.objects.get(pk=cid)
    assert (facts.first_response_seconds, facts.resolution_seconds) == (600, 1800)
    assert facts.waiting_seconds == 600

    # The customer writes again an hour later: reopened, waiting again.
    services.status_change_record(
        conversation_id=cid,
        old_status="resolved",
        new_status="open",
        actor_id=None,
        at=at(90),
    )
    facts.refresh_from_db()
    assert facts.resolved_at is None
    assert facts.resolution_seconds is None
    assert facts.first_resolved_at == at(30)
    assert (facts.reopens, facts.waiting_since) == (1, at(90))

    services.agent_reply_record(conversation_id=cid, sender_id=agent.pk, at=at(95))
    services.status_change_record(
        conversation_id=cid,
        old_status="open",
        new_status="resolved",
        actor_id=agent.pk,
        at=at(120),
    )
    facts.refresh_from_db()
    # First response unchanged by the second reply; resolution counts to the last.
    assert facts.first_response_at == at(10)
    assert facts.first_response_seconds == 600
    assert facts.resolved_at == at(120)
    assert facts.resolution_seconds == 120 * 60
    assert facts.resolutions == 2
    assert facts.waiting_seconds == 600 + 300
    assert kinds(conversation) == [
        "opened",
        "first_response",
        "resolved",
        "reopened",
        "resolved",
    ]


def test_assignment_changes_are_logged_and_the_resolver_is_the_assignee(
    conversation, business, agent
) -> None:
    bob = UserFactory(username="bob")
    MembershipFactory(user=bob, business=business)
    cid = conversation.id
    services.facts_open(conversation_id=cid, opened_at=at(0))
    services.assignment_record(
        conversation_id=cid, assignee_id=agent.pk, actor_id=agent.pk, at=at(1)
    )
    services.assignment_record(
        conversation_id=cid, assignee_id=bob.pk, actor_id=agent.pk, at=at(2)
    )
    Conversation.objects.filter(pk=cid).update(assigned_agent=bob)
    services.status_change_record(
        conversation_id=cid,
        old_status="open",
        new_status="resolved",
        actor_id=agent.pk,
        at=at(5),
    )
    assigned = ConversationEvent.objects.filter(
        conversation_id=cid, kind="assigned"
    ).values_list("assignee_id", "actor_id")
    assert list(assigned) == [(agent.pk, agent.pk), (bob.pk, agent.pk)]
    assert ConversationFacts.objects.get(pk=cid).resolved_by_id == bob.pk


def test_the_core_announces_and_insights_records(
    business, agent, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        message = customer_writes(business, "Hello?")
    conversation = message.conversation
    facts = ConversationFacts.objects.get(pk=conversation.pk)
    assert facts.opened_at == message.created_at
    assert facts.waiting_since == message.created_at

    with django_capture_on_commit_callbacks(execute=True):
        conversation_assign(conversation=conversation, actor=agent, assignee=agent)
    with django_capture_on_commit_callbacks(execute=True):
        reply = message_send(conversation=conversation, sender=agent, text="Hi!")
    with django_capture_on_commit_callbacks(execute=True):
        conversation_set_status(
            conversation=conversation, actor=agent, status="resolved"
        )
    with django_capture_on_commit_callbacks(execute=True):
        again = customer_writes(business, "One more thing")
    conversation.refresh_from_db()
    assert conversation.status == "open"

    facts.refresh_from_db()
    assert facts.first_response_at == reply.created_at
    assert facts.first_responder_id == agent.pk
    assert facts.resolved_at is None
    assert facts.first_resolved_at is not None
    assert facts.waiting_since == again.created_at
    events = ConversationEvent.objects.filter(conversation=conversation)
    assert [(e.kind, e.actor_id) for e in events] == [
        ("opened", None),
        ("assigned", agent.pk),
        ("first_response", agent.pk),
        ("resolved", agent.pk),
        ("reopened", None),
    ]


def test_closed_by_customer_is_logged(
    business, django_capture_on_commit_callbacks
) -> None:
    from conversations.apple.payloads import InboundClose
    from conversations.services import conversation_close_by_customer

    from .helpers import envelope

    with django_capture_on_commit_callbacks(execute=True):
        message = customer_writes(business, "bye")
    with django_capture_on_commit_callbacks(execute=True):
        conversation_close_by_customer(
            event=InboundClose(envelope=envelope(business, "urn:mbid:cust-1"))
        )
    assert kinds(message.conversation) == ["opened", "closed"]


def test_backfill_rebuilds_from_messages(conversation, agent) -> None:
    from conversations.models import Message

    def msg(direction: str, minutes: int, sender=None) -> None:
        m = Message.objects.create(
            conversation=conversation,
            direction=direction,
            body="x",
            status="received" if direction == "in" else "sent",
            sender=sender,
        )
        Message.objects.filter(pk=m.pk).update(created_at=at(minutes))

    msg("in", 0)
    msg("in", 5)
    msg("out", 20, agent)
    msg("in", 40)
    msg("out", 50, agent)
    facts = services.facts_rebuild_from_messages(conversation=conversation)
    assert facts is not None
    assert facts.opened_at == at(0)
    assert facts.first_response_seconds == 20 * 60
    assert facts.waiting_seconds == (20 + 10) * 60
    assert kinds(conversation) == ["opened", "first_response"]
