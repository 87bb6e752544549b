"""Files the customer sent: rows at once, bytes fetched from Apple's MMCS in a task.

Network calls happen outside transactions (house style §2.11).
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Sequence
from functools import partial

from django.core.files import File
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext

from .. import realtime
from ..apple.client import AppleClient
from ..apple.exceptions import AppleError, MalformedPayload
from ..apple.payloads import (
    AttachmentDescriptor,
    attachment_to_wire,
    parse_attachment,
)
from ..exceptions import (
    ConflictError,
)
from ..models import Attachment, Message
from .files import (
    MAX_ATTACHMENT_BYTES,
    attachment_thumbnail_ensure,
    clean_name,
    copy_chunks,
    mime_type_sniff,
)

logger = logging.getLogger(__name__)


def message_changed_push(message: Message) -> None:
    message = Message.objects.select_related("sender", "conversation").get(
        pk=message.pk
    )
    realtime.push_message_changed(message)


# Inbound -----------------------------------------------------------------------


def attachments_create_inbound(
    *, message: Message, descriptors: Sequence[AttachmentDescriptor]
) -> list[Attachment]:
    """Record a customer's attachments at once and fetch each after commit.

    Called inside ``message_receive``'s transaction; the fetch is a task so the
    webhook answers Apple without waiting for MMCS.
    """
    rows = Attachment.objects.bulk_create(
        [
            Attachment(
                message=message,
                position=index,
                name=clean_name(descriptor.name),
                # What the device declared, shown until the bytes are sniffed.
                mime_type=descriptor.mime_type[:127],
                size=descriptor.size,
                status=Attachment.Status.PENDING,
                apple_descriptor=attachment_to_wire(descriptor),
            )
            for index, descriptor in enumerate(descriptors)
        ]
    )
    from ..tasks import attachment_fetch as attachment_fetch_task

    for row in rows:
        transaction.on_commit(partial(attachment_fetch_task.delay, row.pk), robust=True)
    return rows


def attachment_fetch(*, attachment_id: int) -> None:
    """Fetch one inbound attachment: preDownload, download, length check, decrypt, store.

    Idempotent: only a pending row is claimed, and a stored one is left alone.
    Raises AppleTransientError after putting the row back to pending, so the
    task retries; permanent failures mark it failed at once.
    """
    claimed = Attachment.objects.filter(
        id=attachment_id,
        status=Attachment.Status.PENDING,
        message__direction=Message.Direction.IN,
    ).update(status=Attachment.Status.FETCHING, attempts=F("attempts") + 1)
    if not claimed:
        return
    attachment = Attachment.objects.select_related(
        "message__conversation__business"
    ).get(pk=attachment_id)
    message_changed_push(attachment.message)
    try:
        descriptor = parse_attachment(attachment.apple_descriptor)
    except (MalformedPayload, ValueError) as exc:
        _fetch_failed(attachment, f"The attachment descriptor is unusable: {exc}")
        return
    if descriptor.size > MAX_ATTACHMENT_BYTES:
        _fetch_failed(
            attachment, f"{descriptor.size} bytes is over Apple's 100 MB limit."
        )
        return
    business = attachment.message.conversation.business
    with tempfile.NamedTemporaryFile(prefix="attachment-") as spool:
        try:
            if descriptor.size == 0:
                copied = copy_chunks((), spool)  # nothing to download
            else:
                with AppleClient().download_attachment(
                    source_id=business.apple_id, attachment=descriptor
                ) as chunks:
                    copied = copy_chunks(chunks, spool)
        except AppleError as exc:
            if exc.permanent:
                _fetch_failed(attachment, exc.detail)
                return
            Attachment.objects.filter(pk=attachment.pk).update(
                status=Attachment.Status.PENDING, last_error=exc.detail
            )
            message_changed_push(attachment.message)
            raise
        except ValueError as exc:  # a key that is not one
            _fetch_failed(attachment, f"The attachment cannot be decrypted: {exc}")
            return
        mime_type = mime_type_sniff(head=copied.head, name=attachment.name)
        spool.seek(0)
        attachment.file.save(attachment.name, File(spool), save=False)
    attachment.mime_type = mime_type
    attachment.size = copied.size
    attachment.sha256 = copied.sha256
    attachment.status = Attachment.Status.STORED
    attachment.last_error = ""
    # The key has done its job; the stored bytes are plaintext now.
    attachment.apple_descriptor = {
        k: v for k, v in attachment.apple_descriptor.items() if k != "key"
    }
    attachment.save(
        update_fields=[
            "file",
            "mime_type",
            "size",
            "sha256",
            "status",
            "last_error",
            "apple_descriptor",
        ]
    )
    attachment_thumbnail_ensure(attachment=attachment)
    message_changed_push(attachment.message)


def _fetch_failed(attachment: Attachment, reason: str) -> None:
    Attachment.objects.filter(pk=attachment.pk).update(
        status=Attachment.Status.FAILED, last_error=reason[:2000]
    )
    logger.warning(
        "attachment.fetch_failed",
        extra={"attachment": attachment.pk, "reason": reason},
    )
    message_changed_push(attachment.message)


def attachment_mark_failed(*, attachment_id: int, reason: str) -> None:
    """Give up on a fetch after its last retry; the agent gets a retry action."""
    attachment = (
        Attachment.objects.select_related("message__conversation")
        .filter(id=attachment_id)
        .exclude(status=Attachment.Status.STORED)
        .first()
    )
    if attachment is not None:
        _fetch_failed(attachment, reason or "The file could not be fetched.")


def attachment_retry(*, attachment: Attachment) -> Message:
    """Fetch a failed inbound file again, or resend a failed outbound message."""
    message = attachment.message
    if message.direction == Message.Direction.OUT:
        from ..services import message_retry

        return message_retry(message=message)
    updated = Attachment.objects.filter(
        id=attachment.id, status=Attachment.Status.FAILED
    ).update(status=Attachment.Status.PENDING, last_error="")
    if not updated:
        raise ConflictError(
            gettext("Only a file that failed can be fetched again."), code="not_failed"
        )
    from ..tasks import attachment_fetch as attachment_fetch_task

    message_changed_push(message)
    transaction.on_commit(
        lambda: attachment_fetch_task.delay(attachment.id), robust=True
    )
    return Message.objects.select_related("sender").get(pk=message.pk)
