"""What agents do in the console: assign, set status, notes, read markers, presence,
team (people join by invitation: services/invitations.py)."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from .. import events, realtime
from ..exceptions import (
    ApplicationError,
    ConflictError,
    NotFoundError,
)
from ..models import (
    Business,
    Conversation,
    Membership,
    Message,
    ReadMarker,
)
from ..permissions import business_admin_check
from ..types import User
from .outbound import MAX_TEXT_LENGTH

logger = logging.getLogger(__name__)


# The statuses an agent may set; "closed" belongs to the customer alone.
AGENT_STATUSES = (
    Conversation.Status.OPEN,
    Conversation.Status.PENDING,
    Conversation.Status.RESOLVED,
)


def conversation_assign(
    *,
    conversation: Conversation,
    actor: User,
    assignee: User | None,
) -> Conversation:
    """Give the conversation to a member of its business, or to nobody."""
    if (
        assignee is not None
        and not Membership.objects.filter(
            user=assignee, business_id=conversation.business_id
        ).exists()
    ):
        raise ApplicationError(
            gettext("Only agents of this business can be assigned."),
            code="not_a_member",
        )
    with transaction.atomic():
        conversation = (
            # of=self: PostgreSQL cannot lock the nullable side of the joins.
            Conversation.objects.select_for_update(of=("self",))
            .select_related("business", "customer")
            .get(pk=conversation.pk)
        )
        previous_id = conversation.assigned_agent_id
        conversation.assigned_agent = assignee
        conversation.save(update_fields=["assigned_agent"])
        realtime.push_conversation_changed(conversation)
        if previous_id != conversation.assigned_agent_id:
            events.publish(
                events.ConversationAssigned(
                    business_id=conversation.business_id,
                    conversation_id=conversation.id,
                    assignee_id=conversation.assigned_agent_id,
                    previous_assignee_id=previous_id,
                    actor_id=actor.pk,
                    occurred_at=timezone.now(),
                )
            )
    logger.info(
        "conversation.assigned",
        extra={"conversation": conversation.id, "actor": actor.pk},
    )
    return conversation


def conversation_set_status(
    *, conversation: Conversation, actor: User, status: str
) -> Conversation:
    """Move the conversation between open, pending and resolved."""
    if status not in AGENT_STATUSES:
        raise ApplicationError(
            gettext("Agents can set open, pending or resolved."), code="invalid_status"
        )
    with transaction.atomic():
        conversation = (
            # of=self: PostgreSQL cannot lock the nullable side of the joins.
            Conversation.objects.select_for_update(of=("self",))
            .select_related("business", "customer", "assigned_agent")
            .get(pk=conversation.pk)
        )
        if conversation.status != status:
            old_status = conversation.status
            conversation.status = status
            fields = ["status"]
            if (
                old_status == Conversation.Status.CLOSED
                and conversation.closed_at is None
            ):
                # The status moves on but replies stay locked: the customer who
                # closed it opted out until they write again (which clears this).
                conversation.closed_at = timezone.now()
                fields.append("closed_at")
            conversation.save(update_fields=fields)
            realtime.push_conversation_changed(conversation)
            events.publish(
                events.ConversationStatusChanged(
                    business_id=conversation.business_id,
                    conversation_id=conversation.id,
                    old_status=old_status,
                    new_status=status,
                    actor_id=actor.pk,
                    occurred_at=timezone.now(),
                )
            )
    logger.info(
        "conversation.status_set",
        extra={"conversation": conversation.id, "actor": actor.pk, "status": status},
    )
    return conversation


def note_create(*, conversation: Conversation, author: User, text: str) -> Message:
    """Store a private note for teammates. It is never delivered to the customer."""
    if not text or not text.strip():
        raise ApplicationError(gettext("A note needs some text."), code="empty_text")
    if len(text) > MAX_TEXT_LENGTH:
        raise ApplicationError(
            gettext("A note can have at most %(max_text_length)s characters.")
            % {"max_text_length": MAX_TEXT_LENGTH},
            code="text_too_long",
        )
    with transaction.atomic():
        # direction=internal keeps it out of every outbound query, and no
        # delivery task is ever enqueued for it.
        note = Message.objects.create(
            conversation=conversation,
            direction=Message.Direction.INTERNAL,
            kind=Message.Kind.NOTE,
            body=text,
            status=Message.Status.RECEIVED,
            sender=author,
        )
        realtime.push_message_created(note)
    return note


def conversation_mark_read(
    *, conversation: Conversation, user: User, message_id: int
) -> ReadMarker:
    """Move the user's read marker forward (never back: tabs race each other)."""
    marker, created = ReadMarker.objects.get_or_create(
        user=user,
        conversation=conversation,
        defaults={"last_read_message_id": message_id},
    )
    if not created and marker.last_read_message_id < message_id:
        ReadMarker.objects.filter(
            pk=marker.pk, last_read_message_id__lt=message_id
        ).update(last_read_message_id=message_id, updated_at=timezone.now())
        marker.last_read_message_id = message_id
    return marker


def conversation_presence(
    *,
    conversation: Conversation,
    agent: User,
    viewing: bool,
    join: bool = False,
    exclude_channel: str | None = None,
) -> None:
    """Tell teammates an agent opened or left a conversation; nothing is stored.

    `join` asks those already viewing to announce themselves once, so the
    newcomer learns who is there without the server keeping state.
    """
    realtime.publish_now(
        [realtime.business_group(conversation.business_id)],
        realtime.PRESENCE,
        {
            "conversation": conversation.id,
            "who": agent.get_username(),
            "viewing": viewing,
            "join": join,
        },
        exclude_channel=exclude_channel,
    )


def membership_remove(*, business: Business, actor: User, membership_id: int) -> None:
    """An admin removes an agent; the business always keeps at least one admin."""
    business_admin_check(business=business, actor=actor)
    with transaction.atomic():
        membership = (
            Membership.objects.select_for_update()
            .filter(id=membership_id, business=business)
            .first()
        )
        if membership is None:
            raise NotFoundError(gettext("No such agent on this team."))
        if (
            membership.role == Membership.Role.ADMIN
            and Membership.objects.filter(
                business=business, role=Membership.Role.ADMIN
            ).count()
            == 1
        ):
            raise ConflictError(
                gettext("A business needs at least one admin."), code="last_admin"
            )
        # Their conversations go back to the queue rather than to someone who
        # can no longer open them.
        reassigned = list(
            Conversation.objects.filter(
                business=business, assigned_agent_id=membership.user_id
            ).select_related("business", "customer")
        )
        Conversation.objects.filter(id__in=[c.id for c in reassigned]).update(
            assigned_agent=None
        )
        now = timezone.now()
        for conversation in reassigned:
            conversation.assigned_agent = None
            realtime.push_conversation_changed(conversation)
            events.publish(
                events.ConversationAssigned(
                    business_id=business.id,
                    conversation_id=conversation.id,
                    assignee_id=None,
                    previous_assignee_id=membership.user_id,
                    actor_id=actor.pk,
                    occurred_at=now,
                )
            )
        membership.delete()
