"""Reads, always scoped to what the asking user may see."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from .exceptions import NotFoundError
from .models import Business, Conversation, Membership, Message


def business_ids_for_user(*, user: AbstractBaseUser | AnonymousUser) -> list[int]:
    if not user.is_authenticated:
        return []
    return list(
        Membership.objects.filter(user=user).values_list("business_id", flat=True)
    )


def business_list_for_user(*, user: AbstractBaseUser) -> QuerySet[Business]:
    return Business.objects.filter(memberships__user=user).order_by("name")


def conversation_list_for_user(
    *,
    user: AbstractBaseUser,
    business: str | None = None,
    status: str | None = None,
) -> QuerySet[Conversation]:
    """Conversations of the user's businesses; `business` is our id or Apple's."""
    qs = Conversation.objects.filter(business__memberships__user=user)
    if business:
        if business.isdigit():
            qs = qs.filter(business_id=int(business))
        else:
            qs = qs.filter(business__apple_id=business)
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("business", "customer", "assigned_agent").order_by(
        "-last_message_at", "-id"
    )


def conversation_get_for_user(
    *, user: AbstractBaseUser, conversation_id: int
) -> Conversation:
    conversation = (
        Conversation.objects.filter(
            id=conversation_id, business__memberships__user=user
        )
        .select_related("business", "customer", "assigned_agent")
        .first()
    )
    if conversation is None:
        # Same answer for "absent" and "not yours", so ids can't be probed.
        raise NotFoundError("No such conversation.")
    return conversation


def message_list(
    *, conversation: Conversation, after: int | None = None
) -> QuerySet[Message]:
    qs = conversation.messages.select_related("sender").order_by("id")
    if after is not None:
        qs = qs.filter(id__gt=after)
    return qs


def message_get_for_user(*, user: AbstractBaseUser, message_id: int) -> Message:
    message = (
        Message.objects.filter(
            id=message_id, conversation__business__memberships__user=user
        )
        .select_related("sender", "conversation")
        .first()
    )
    if message is None:
        raise NotFoundError("No such message.")
    return message
