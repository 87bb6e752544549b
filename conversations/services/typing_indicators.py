"""Agents' typing indicators: relayed live to teammates and sent to the customer."""

from __future__ import annotations

import logging
from uuid import uuid4

from .. import realtime
from ..apple.client import AppleClient
from ..apple.exceptions import AppleError
from ..models import (
    Conversation,
)
from ..types import User

logger = logging.getLogger(__name__)


def conversation_typing(
    *,
    conversation: Conversation,
    agent: User,
    typing: bool,
    exclude_channel: str | None = None,
) -> None:
    """An agent started or stopped composing: tell teammates and the customer."""
    realtime.publish_now(
        realtime.conversation_groups(
            business_id=conversation.business_id, conversation_id=conversation.id
        ),
        realtime.TYPING,
        {
            "conversation": conversation.id,
            "who": agent.get_username(),
            "typing": typing,
        },
        exclude_channel=exclude_channel,
    )
    if conversation.is_closed:
        return
    from ..tasks import typing_send as typing_send_task

    # A stale indicator is worse than none: short expiry and no retries.
    typing_send_task.apply_async((conversation.id, typing), expires=10)


def typing_send(*, conversation_id: int, typing: bool) -> None:
    conversation = (
        Conversation.objects.select_related("business", "customer")
        .filter(id=conversation_id)
        .first()
    )
    if conversation is None or conversation.is_closed:
        return
    try:
        AppleClient().send_typing(
            message_id=str(uuid4()),
            source_id=conversation.business.apple_id,
            destination_id=conversation.customer.apple_id,
            started=typing,
        )
    except AppleError as exc:
        logger.info(
            "typing.not_sent",
            extra={"conversation": conversation_id, "error": exc.detail},
        )
