"""Inbox power: one action over many selected conversations, and "mark all read"."""

from __future__ import annotations

import logging

from django.db.models import Max
from django.utils.translation import gettext

from ..exceptions import ApplicationError
from ..models import Conversation, Message, ReadMarker
from ..types import User
from .console import conversation_assign, conversation_set_status
from .labels import conversation_labels_set

logger = logging.getLogger(__name__)

MAX_BULK = 100
BULK_ACTIONS = ("assign", "label", "unlabel", "resolve", "open", "pending", "read")


def conversations_bulk(
    *,
    conversations: list[Conversation],
    actor: User,
    action: str,
    assignee: User | None = None,
    label_id: int | None = None,
) -> dict[str, list]:
    """Apply ``action`` to each conversation; one failing (one the user may not
    see) does not stop the others.

    Returns the ids done and the ids refused with their reason.
    """
    if action not in BULK_ACTIONS:
        raise ApplicationError(gettext("Unknown bulk action."), code="invalid_action")
    if len(conversations) > MAX_BULK:
        raise ApplicationError(
            gettext("Select at most %(max_bulk)s conversations.")
            % {"max_bulk": MAX_BULK},
            code="too_many",
        )
    if action in ("label", "unlabel") and label_id is None:
        raise ApplicationError(gettext("Choose a label."), code="label_required")
    done: list[int] = []
    refused: list[dict[str, object]] = []
    for conversation in conversations:
        try:
            if action == "assign":
                conversation_assign(
                    conversation=conversation, actor=actor, assignee=assignee
                )
            elif action == "label":
                conversation_labels_set(
                    conversation=conversation, actor=actor, add=[label_id or 0]
                )
            elif action == "unlabel":
                conversation_labels_set(
                    conversation=conversation, actor=actor, remove=[label_id or 0]
                )
            elif action == "read":
                conversations_mark_all_read(
                    user=actor, conversation_ids=[conversation.id]
                )
            else:
                status = {"resolve": Conversation.Status.RESOLVED}.get(action, action)
                conversation_set_status(
                    conversation=conversation, actor=actor, status=status
                )
        except ApplicationError as exc:
            refused.append(
                {"id": conversation.id, "code": exc.code, "message": exc.message}
            )
        else:
            done.append(conversation.id)
    logger.info(
        "conversations.bulk",
        extra={
            "actor": actor.pk,
            "action": action,
            "done": len(done),
            "refused": len(refused),
        },
    )
    return {"done": done, "refused": refused}


def conversations_mark_all_read(
    *, user: User, conversation_ids: list[int] | None = None
) -> int:
    """Move the user's read markers to the latest message of every conversation
    they can see (or of the given ones); never backwards. Returns how many moved."""
    qs = Conversation.objects.filter(business__memberships__user=user)
    if conversation_ids is not None:
        qs = qs.filter(id__in=conversation_ids)
    latest = dict(
        Message.objects.filter(conversation__in=qs, direction=Message.Direction.IN)
        .values("conversation")
        .annotate(last=Max("id"))
        .values_list("conversation", "last")
    )
    if not latest:
        return 0
    markers = {
        marker.conversation_id: marker
        for marker in ReadMarker.objects.filter(user=user, conversation_id__in=latest)
    }
    moved = 0
    for conversation_id, last in latest.items():
        marker = markers.get(conversation_id)
        if marker is None:
            ReadMarker.objects.get_or_create(
                user=user,
                conversation_id=conversation_id,
                defaults={"last_read_message_id": last},
            )
            moved += 1
        elif marker.last_read_message_id < last:
            moved += ReadMarker.objects.filter(
                pk=marker.pk, last_read_message_id__lt=last
            ).update(last_read_message_id=last)
    return moved
