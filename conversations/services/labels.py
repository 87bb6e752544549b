"""Labels: a business's tags, and putting them on and off conversations."""

from __future__ import annotations

import logging
import re

from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from .. import realtime
from ..exceptions import ApplicationError, ConflictError, NotFoundError
from ..models import Business, Conversation, Label
from ..permissions import business_admin_check
from ..types import User

logger = logging.getLogger(__name__)

COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
MAX_NAME = 50
MAX_LABELS_PER_BUSINESS = 500


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ApplicationError(gettext("A label needs a name."), code="invalid_name")
    if len(name) > MAX_NAME:
        raise ApplicationError(
            gettext("A label name has at most %(max_name)s characters.")
            % {"max_name": MAX_NAME},
            code="invalid_name",
        )
    return name


def _clean_color(color: str) -> str:
    if not COLOR.match(color or ""):
        raise ApplicationError(
            gettext("A colour is written #rrggbb, e.g. #0071e3."), code="invalid_color"
        )
    return color.lower()


def label_create(
    *, business: Business, actor: User, name: str, color: str = "#6e6e73"
) -> Label:
    """Admins define the labels of their business."""
    business_admin_check(business=business, actor=actor)
    name, color = _clean_name(name), _clean_color(color)
    if Label.objects.filter(business=business).count() >= MAX_LABELS_PER_BUSINESS:
        raise ApplicationError(
            gettext("A business has at most %(max_labels_per_business)s labels.")
            % {"max_labels_per_business": MAX_LABELS_PER_BUSINESS},
            code="too_many_labels",
        )
    try:
        with transaction.atomic():
            return Label.objects.create(business=business, name=name, color=color)
    except IntegrityError as exc:
        raise ConflictError(
            gettext("There is already a label %(name)r.") % {"name": name},
            code="label_exists",
        ) from exc


def label_update(
    *, label: Label, actor: User, name: str | None = None, color: str | None = None
) -> Label:
    business_admin_check(business=label.business, actor=actor)
    if name is not None:
        label.name = _clean_name(name)
    if color is not None:
        label.color = _clean_color(color)
    try:
        with transaction.atomic():
            label.save(update_fields=["name", "color"])
            _push_labelled(label)
    except IntegrityError as exc:
        raise ConflictError(
            gettext("There is already a label %(name)r.") % {"name": label.name},
            code="label_exists",
        ) from exc
    return label


def label_delete(*, label: Label, actor: User) -> None:
    business_admin_check(business=label.business, actor=actor)
    with transaction.atomic():
        _push_labelled(label)
        label.delete()


def _push_labelled(label: Label) -> None:
    # Few conversations change per label edit in practice; each carries its labels.
    for conversation in (
        label.conversations.select_related("business", "customer", "assigned_agent")
        .prefetch_related("labels")
        .order_by("-id")[:500]
    ):
        realtime.push_conversation_changed(conversation)


def _label_of(conversation: Conversation, label_id: int) -> Label:
    label = Label.objects.filter(
        id=label_id, business_id=conversation.business_id
    ).first()
    if label is None:
        # A label of another business is as absent as one that never existed.
        raise NotFoundError(gettext("No such label."), code="label_not_found")
    return label


def conversation_labels_set(
    *,
    conversation: Conversation,
    actor: User,
    add: list[int] | tuple[int, ...] = (),
    remove: list[int] | tuple[int, ...] = (),
) -> Conversation:
    """Put labels on and take labels off; every open console sees it live.

    Adding a label already there, or removing one that is not, changes nothing
    (safe to repeat).
    """
    adding = [_label_of(conversation, label_id) for label_id in add]
    removing = [_label_of(conversation, label_id) for label_id in remove]
    with transaction.atomic():
        conversation = (
            Conversation.objects.select_for_update(of=("self",))
            .select_related("business", "customer", "assigned_agent")
            .get(pk=conversation.pk)
        )
        if adding:
            conversation.labels.add(*adding)
        if removing:
            conversation.labels.remove(*removing)
        conversation = (
            Conversation.objects.select_related(
                "business", "customer", "assigned_agent"
            )
            .prefetch_related("labels")
            .get(pk=conversation.pk)
        )
        if adding or removing:
            realtime.push_conversation_changed(conversation)
    logger.info(
        "conversation.labelled",
        extra={
            "conversation": conversation.id,
            "actor": actor.pk,
            "added": [label.id for label in adding],
            "removed": [label.id for label in removing],
        },
    )
    return conversation
