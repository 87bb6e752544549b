"""Reading attachments: only for members of their business."""

from __future__ import annotations

import logging

from django.utils.translation import gettext

from ..exceptions import (
    NotFoundError,
)
from ..models import Attachment
from ..types import User

logger = logging.getLogger(__name__)


def attachment_get_for_user(*, user: User, attachment_id: int) -> Attachment:
    """An attachment in one of the user's businesses; 404 otherwise (no leak)."""
    attachment = (
        Attachment.objects.filter(
            id=attachment_id,
            message__conversation__business__memberships__user=user,
        )
        .select_related("message__conversation")
        .first()
    )
    if attachment is None:
        raise NotFoundError(gettext("No such attachment."))
    return attachment
