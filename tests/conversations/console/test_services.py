"""Console writes: assignment, status, notes, read markers and the team."""

from __future__ import annotations

import pytest

from conversations import services
from conversations.exceptions import (
    ApplicationError,
    ConflictError,
    PermissionDeniedError,
)
from conversations.models import Conversation, Membership, Message
from conversations.services import inbound
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_note_is_stored_and_never_reaches_apple(
    agent, conversation, apple_gateway
) -> None:
    note = services.note_create(
        conversation=conversation, author=agent, text="call back after 5"
    )
    assert note.direction == Message.Direction.INTERNAL
    assert note.kind == Message.Kind.NOTE
    # Even a direct delivery attempt or a sweep must not send it.
    services.message_deliver(message_id=note.id)
    services.message_requeue_stuck()
    services.message_send(conversation=conversation, sender=agent, text="hello")
    assert [r.json["body"] for r in apple_gateway.requests] == ["hello"]
    note.refresh_from_db()
    assert note.status == Message.Status.RECEIVED


def test_a_tapback_never_targets_a_note(agent, conversation) -> None:
    from conversations.apple.payloads import Tapback

    reply = services.message_send(conversation=conversation, sender=agent, text="same")
    services.note_create(conversation=conversation, author=agent, text="same")
    target = inbound._reaction_target(
        conversation,
        Tapback(reaction="loved", emoji="", quoted="same", target_description=""),
    )
    assert target == reply


def test_assign_accepts_only_members_of_the_business(agent, conversation) -> None:
    services.conversation_assign(conversation=conversation, actor=agent, assignee=agent)
    conversation.refresh_from_db()
    assert conversation.assigned_agent == agent
    stranger = UserFactory(username="stranger")
    with pytest.raises(ApplicationError):
        services.conversation_assign(
            conversation=conversation, actor=agent, assignee=stranger
        )
    services.conversation_assign(conversation=conversation, actor=agent, assignee=None)
    conversation.refresh_from_db()
    assert conversation.assigned_agent is None


def test_status_moves_on_a_customer_closed_conversation_but_replies_stay_locked(
    agent, conversation
) -> None:
    services.conversation_set_status(
        conversation=conversation, actor=agent, status="resolved"
    )
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.RESOLVED
    with pytest.raises(ApplicationError):
        services.conversation_set_status(
            conversation=conversation, actor=agent, status="closed"
        )
    Conversation.objects.filter(pk=conversation.pk).update(
        status=Conversation.Status.CLOSED
    )
    reopened = services.conversation_set_status(
        conversation=conversation, actor=agent, status="open"
    )
    assert reopened.status == Conversation.Status.OPEN
    assert reopened.is_closed
    with pytest.raises(ConflictError):
        services.message_send(conversation=reopened, sender=agent, text="hi")


def test_read_marker_only_moves_forward(agent, conversation) -> None:
    services.conversation_mark_read(conversation=conversation, user=agent, message_id=9)
    marker = services.conversation_mark_read(
        conversation=conversation, user=agent, message_id=4
    )
    marker.refresh_from_db()
    assert marker.last_read_message_id == 9


def test_only_admins_manage_the_team(agent, business) -> None:
    # People join by invitation (tests/conversations/console/test_invitations.py); removing is here.
    bob = UserFactory(username="bob")
    membership = MembershipFactory(user=bob, business=business)
    with pytest.raises(PermissionDeniedError):
        services.membership_remove(
            business=business, actor=agent, membership_id=membership.id
        )
    admin = UserFactory(username="ada")
    MembershipFactory(user=admin, business=business, role=Membership.Role.ADMIN)
    services.membership_remove(
        business=business, actor=admin, membership_id=membership.id
    )
    assert not Membership.objects.filter(pk=membership.pk).exists()
