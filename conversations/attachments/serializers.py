"""How an attachment reads in the API and the live pushes."""

from __future__ import annotations

import logging
from typing import Any

from django.urls import reverse

from ..models import Attachment
from .files import NEVER_INLINE

logger = logging.getLogger(__name__)


# Output ------------------------------------------------------------------------


def attachment_data(attachment: Attachment) -> dict[str, Any]:
    """The shape MessageOutputSerializer lists; URLs go to the authorised view."""
    # Outbound files are stored before they go to Apple, inbound ones after.
    stored = bool(attachment.file)
    is_image = attachment.mime_type.startswith("image/") and (
        attachment.mime_type not in NEVER_INLINE
    )
    return {
        "id": attachment.id,
        "name": attachment.name,
        "mime_type": attachment.mime_type,
        "size": attachment.size,
        "status": attachment.status,
        "last_error": attachment.last_error,
        "url": reverse("attachment-file", args=[attachment.id]) if stored else None,
        "thumbnail_url": (
            reverse("attachment-thumbnail", args=[attachment.id])
            if stored and is_image
            else None
        ),
    }
