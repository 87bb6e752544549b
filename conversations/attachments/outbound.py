"""Files to the customer: checked and stored in the request, encrypted and uploaded
to Apple's MMCS by the delivery task before the text that shows them.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db.models import F
from django.utils.translation import gettext

from ..apple.client import AppleClient
from ..apple.exceptions import AppleError
from ..apple.payloads import (
    OBJECT_REPLACEMENT,
    AttachmentDescriptor,
    attachment_to_wire,
    outbound_text_body,
    parse_attachment,
)
from ..exceptions import (
    ApplicationError,
    ConversationClosedError,
)
from ..models import Attachment, Conversation, Message
from ..types import User
from .files import (
    CHUNK_BYTES,
    MAX_ATTACHMENT_BYTES,
    MAX_FILES_PER_MESSAGE,
    SNIFF_BYTES,
    AttachmentTooLarge,
    AttachmentTypeNotAllowed,
    business_allowed_types,
    clean_name,
    file_chunks,
    leased_chunks,
    mime_type_allowed,
    mime_type_sniff,
)
from .inbound import message_changed_push

logger = logging.getLogger(__name__)


# Outbound ----------------------------------------------------------------------


@dataclass
class _Prepared:
    upload: UploadedFile
    name: str
    mime_type: str
    size: int
    sha256: str


def _prepare(upload: UploadedFile, allowed: list[str]) -> _Prepared:
    name = clean_name(upload.name or "file")
    digest = hashlib.sha256()
    head = bytearray()
    size = 0
    for chunk in upload.chunks(CHUNK_BYTES):
        digest.update(chunk)
        size += len(chunk)
        if len(head) < SNIFF_BYTES:
            head += chunk[: SNIFF_BYTES - len(head)]
    if size == 0:
        # Apple's MMCS takes 1 byte to 100 MB; an empty file cannot be sent.
        raise ApplicationError(
            gettext("%(name)s is empty.") % {"name": name}, code="empty_file"
        )
    if size > MAX_ATTACHMENT_BYTES:
        raise AttachmentTooLarge(f"{name} is larger than 100 MB, Apple's limit.")
    mime_type = mime_type_sniff(head=bytes(head), name=name)
    if not mime_type_allowed(mime_type=mime_type, allowed=allowed):
        raise AttachmentTypeNotAllowed(
            f"{name} is {mime_type}, which this business does not send.",
            extra={"fields": {"files": [f"{name}: {mime_type} is not allowed"]}},
        )
    return _Prepared(
        upload=upload,
        name=name,
        mime_type=mime_type,
        size=size,
        sha256=digest.hexdigest(),
    )


def attachments_send(
    *,
    conversation: Conversation,
    sender: User | None,
    files: Sequence[UploadedFile],
    text: str = "",
    auto_reply: bool = False,
) -> Message:
    """Queue one message carrying ``files`` (and an optional caption) to the customer.

    Files are checked (size, sniffed type against the business's list), stored,
    then the message is created and its delivery enqueued after commit; the
    delivery task encrypts and uploads them before sending the text.
    """
    from ..services import MAX_TEXT_LENGTH

    if not files:
        raise ApplicationError(gettext("Attach at least one file."), code="no_files")
    if len(files) > MAX_FILES_PER_MESSAGE:
        raise ApplicationError(
            gettext(
                "At most %(max_files_per_message)s files can be sent in one message."
            )
            % {"max_files_per_message": MAX_FILES_PER_MESSAGE},
            code="too_many_files",
        )
    # Placeholders are ours to place: one per file, added when it is sent.
    text = (text or "").replace(OBJECT_REPLACEMENT, "").strip()
    if len(text) > MAX_TEXT_LENGTH or "\x00" in text:
        raise ApplicationError(
            gettext("The caption is too long or invalid."), code="bad_text"
        )
    if conversation.is_closed:
        raise ConversationClosedError()
    allowed = business_allowed_types(business=conversation.business)
    prepared = [_prepare(upload, allowed) for upload in files]

    # Storage writes happen before the transaction so it stays short.
    stored: list[Attachment] = []
    for index, item in enumerate(prepared):
        row = Attachment(
            position=index,
            name=item.name,
            mime_type=item.mime_type,
            size=item.size,
            sha256=item.sha256,
            status=Attachment.Status.PENDING,
        )
        item.upload.seek(0)
        row.file.save(item.name, item.upload, save=False)
        stored.append(row)
    from ..services.outbound import message_queue

    def attach(message: Message) -> None:
        for row in stored:
            row.message = message
        Attachment.objects.bulk_create(stored)

    try:
        message = message_queue(
            conversation=conversation,
            sender=sender,
            kind=Message.Kind.ATTACHMENT,
            body=text,
            auto_reply=auto_reply,
            on_created=attach,
        )
    except Exception:
        for row in stored:
            row.file.delete(save=False)
        raise
    return message


def attachments_body_with_files(
    *, message: Message, body: dict[str, Any]
) -> dict[str, Any]:
    """The text body of ``message`` with its files uploaded and described.

    Called by ``message_deliver`` outside any transaction. Each file is
    encrypted and uploaded (``attachments_upload_for_message``), then the text
    goes out with one U+FFFC per file, the descriptors in ``attachments``.
    """
    descriptors = attachments_upload_for_message(message=message)
    conversation = message.conversation
    return outbound_text_body(
        message_id=message.apple_id,
        source_id=conversation.business.apple_id,
        destination_id=conversation.customer.apple_id,
        text=str(body.get("body") or message.body).replace(OBJECT_REPLACEMENT, ""),
        attachments=descriptors,
    )


def attachments_upload_for_message(
    *, message: Message, client: AppleClient | None = None
) -> list[AttachmentDescriptor]:
    """Encrypt and upload an outbound message's files; return their descriptors.

    Idempotent across retries: a file already uploaded keeps the descriptor
    Apple gave it and is not uploaded again. Runs outside any transaction.
    Raises AppleError (after recording it on the file) for the caller to
    classify, exactly as a failed send.
    """
    client = client or AppleClient()
    descriptors: list[AttachmentDescriptor] = []
    source_id = message.conversation.business.apple_id
    for attachment in message.attachments.order_by("position", "id"):
        if attachment.status == Attachment.Status.UPLOADED and (
            attachment.apple_descriptor
        ):
            descriptors.append(parse_attachment(attachment.apple_descriptor))
            continue
        Attachment.objects.filter(pk=attachment.pk).update(
            status=Attachment.Status.UPLOADING, attempts=F("attempts") + 1
        )
        message_changed_push(message)
        try:
            descriptor = client.upload_attachment(
                source_id=source_id,
                chunks=leased_chunks(file_chunks(attachment.file), message.id),
                size=attachment.size,
                name=attachment.name,
                mime_type=attachment.mime_type,
            )
        except AppleError as exc:
            Attachment.objects.filter(pk=attachment.pk).update(
                status=(
                    Attachment.Status.FAILED
                    if exc.permanent
                    else Attachment.Status.PENDING
                ),
                last_error=exc.detail[:2000],
            )
            raise
        Attachment.objects.filter(pk=attachment.pk).update(
            status=Attachment.Status.UPLOADED,
            apple_descriptor=attachment_to_wire(descriptor),
            last_error="",
        )
        descriptors.append(descriptor)
    message_changed_push(message)
    return descriptors
