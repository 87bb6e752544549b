"""Attachments both ways (spec §6): limits, type sniffing, storage and the services
that move files between Apple's MMCS and Django's storage API.

Every path streams in chunks: bytes pass through a temporary file or the storage
backend, never a whole-file buffer, so a 100 MB attachment costs a few chunks of
memory. Network calls happen outside transactions (house style §2.11).
"""

from __future__ import annotations

import hashlib
import io
import logging
import mimetypes
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import IO, Any

import filetype
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from . import realtime
from .apple.client import AppleClient
from .apple.exceptions import AppleError, MalformedPayload
from .apple.payloads import (
    OBJECT_REPLACEMENT,
    AttachmentDescriptor,
    attachment_to_wire,
    outbound_text_body,
    parse_attachment,
)
from .exceptions import (
    ApplicationError,
    ConflictError,
    ConversationClosedError,
    NotFoundError,
)
from .models import Attachment, Business, Conversation, Message
from .types import User

logger = logging.getLogger(__name__)

MAX_ATTACHMENT_BYTES = 100 * 1024 * 1024  # Apple's limit, both ways (spec §6)
MAX_FILES_PER_MESSAGE = 10
# Multipart framing and the caption around the files of one request.
REQUEST_OVERHEAD_BYTES = 1024 * 1024
CHUNK_BYTES = 256 * 1024
SNIFF_BYTES = 8192  # what filetype reads to recognise a type
MAX_NAME_CHARS = 255
THUMBNAIL_SIZE = (480, 480)
# Renew an uploading message's claim this often (see _leased).
LEASE_EVERY_BYTES = 8 * 1024 * 1024
UPLOAD_SOFT_TIME_LIMIT = 900
# Pillow decodes the whole bitmap; beyond this a thumbnail would cost more
# memory than the 32 MB budget, so the console shows the image itself.
THUMBNAIL_MAX_PIXELS = 8_000_000

# What a business may send when it has not chosen: everything Messages shows.
DEFAULT_ALLOWED_TYPES: tuple[str, ...] = (
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/heic",
    "image/heif",
    "image/webp",
    "image/tiff",
    "image/bmp",
    "video/*",
    "audio/*",  # includes .caf (audio/x-caf), Messages' voice-memo format
    "application/pdf",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/rtf",
    "text/plain",
    "text/csv",
    "application/vnd.apple.pkpass",
    "model/vnd.usdz+zip",
    "text/calendar",
    "text/vcard",
)

# Types with no magic number of their own: trusted from the file name only
# when the bytes agree (zip containers, or text that starts as it should).
_EXTENSION_TYPES = {
    ".caf": "audio/x-caf",
    ".pkpass": "application/vnd.apple.pkpass",
    ".usdz": "model/vnd.usdz+zip",
    ".ics": "text/calendar",
    ".vcf": "text/vcard",
    ".vcard": "text/vcard",
    ".txt": "text/plain",
    ".csv": "text/csv",
    ".heic": "image/heic",
}
_ZIP_CONTAINERS = frozenset(
    {
        "application/vnd.apple.pkpass",
        "model/vnd.usdz+zip",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    }
)
_TEXT_PREFIXES = {
    "text/calendar": b"BEGIN:VCALENDAR",
    "text/vcard": b"BEGIN:VCARD",
    "text/plain": b"",
    "text/csv": b"",
}
# Shown in the page (img/video/audio/PDF viewer); everything else downloads.
_INLINE_PREFIXES = ("image/", "video/", "audio/")
_NEVER_INLINE = frozenset({"image/svg+xml"})


class AttachmentTooLarge(ApplicationError):
    status_code = 413
    code = "file_too_large"


class AttachmentTypeNotAllowed(ApplicationError):
    status_code = 415
    code = "file_type_not_allowed"


# Types and limits --------------------------------------------------------------


def _extension_type(name: str) -> str:
    lowered = name.lower()
    for extension, mime in _EXTENSION_TYPES.items():
        if lowered.endswith(extension):
            return mime
    return mimetypes.guess_type(lowered)[0] or ""


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # The sniffed head may end inside a multi-byte character.
        return exc.start >= len(head) - 3
    return True


def mime_type_sniff(*, head: bytes, name: str) -> str:
    """The type the bytes are, with the name consulted only where bytes can't tell.

    ``head`` is the first ``SNIFF_BYTES`` of the file. A sender's declared type
    is never used: a renamed executable stays ``application/x-msdownload``.
    """
    by_name = _extension_type(name)
    kind = filetype.guess(head) if head else None
    if kind is not None:
        # pkpass, usdz and OOXML are zip files that filetype may call zip.
        if kind.mime == "application/zip" and by_name in _ZIP_CONTAINERS:
            return by_name
        return kind.mime
    if head.startswith(b"caff"):
        return "audio/x-caf"
    prefix = _TEXT_PREFIXES.get(by_name)
    if prefix is not None and _is_text(head) and head.lstrip().startswith(prefix):
        return by_name
    return "application/octet-stream"


def business_allowed_types(*, business: Business) -> list[str]:
    return list(business.allowed_attachment_types or DEFAULT_ALLOWED_TYPES)


def mime_type_allowed(*, mime_type: str, allowed: Iterable[str]) -> bool:
    """Exact types, or ``type/*`` wildcards; comparison ignores case."""
    mime = mime_type.lower()
    major = mime.split("/", 1)[0]
    for pattern in allowed:
        pattern = pattern.strip().lower()
        if pattern == mime or pattern == f"{major}/*" or pattern == "*/*":
            return True
    return False


def shows_inline(mime_type: str) -> bool:
    mime = mime_type.lower()
    if mime in _NEVER_INLINE:
        return False
    return mime.startswith(_INLINE_PREFIXES) or mime == "application/pdf"


def request_length_check(*, content_length: str | None) -> None:
    """Refuse an attachment request by its Content-Length, before reading a byte."""
    try:
        length = int(content_length or 0)
    except ValueError:
        length = 0
    limit = MAX_ATTACHMENT_BYTES * MAX_FILES_PER_MESSAGE + REQUEST_OVERHEAD_BYTES
    if length > limit:
        raise AttachmentTooLarge(
            f"The request is {length} bytes; at most {MAX_FILES_PER_MESSAGE} files "
            f"of {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB each can be sent at once."
        )


class LimitedUploadHandler(TemporaryFileUploadHandler):
    """Spools each uploaded file to disk and aborts as soon as one passes the limit.

    The multipart parser reads the body in small chunks through this handler,
    so an over-limit file is refused after ~100 MB is read, not after all of it.
    """

    def __init__(self, request: Any = None) -> None:
        super().__init__(request)
        self.files_seen = 0

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        self.files_seen += 1
        if self.files_seen > MAX_FILES_PER_MESSAGE:
            raise ApplicationError(
                f"At most {MAX_FILES_PER_MESSAGE} files can be sent in one message.",
                code="too_many_files",
            )
        super().new_file(*args, **kwargs)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if start + len(raw_data) > MAX_ATTACHMENT_BYTES:
            self.file.close()  # deletes the partial temporary file
            raise AttachmentTooLarge(
                f"{self.file_name or 'A file'} is larger than "
                f"{MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB, Apple's limit."
            )
        return super().receive_data_chunk(raw_data, start)


# Streaming helpers -------------------------------------------------------------


@dataclass
class _Copied:
    size: int
    sha256: str
    head: bytes


def _copy(chunks: Iterable[bytes], out: IO[bytes]) -> _Copied:
    digest = hashlib.sha256()
    head = bytearray()
    size = 0
    for chunk in chunks:
        out.write(chunk)
        digest.update(chunk)
        size += len(chunk)
        if len(head) < SNIFF_BYTES:
            head += chunk[: SNIFF_BYTES - len(head)]
    out.flush()
    return _Copied(size=size, sha256=digest.hexdigest(), head=bytes(head))


def _file_chunks(field_file: Any) -> Iterator[bytes]:
    with field_file.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            yield chunk


def _leased(chunks: Iterable[bytes], message_id: int) -> Iterator[bytes]:
    """Pass chunks through, renewing the message's claim as the upload goes.

    The sweeper puts a message back to pending once it has sat in `sending`
    for longer than a send takes; a long upload is not a dead worker, so
    touching ``status_changed_at`` keeps a second worker from uploading too.
    """
    sent = 0
    for chunk in chunks:
        sent += len(chunk)
        if sent >= LEASE_EVERY_BYTES:
            sent = 0
            Message.objects.filter(pk=message_id, status=Message.Status.SENDING).update(
                status_changed_at=timezone.now()
            )
        yield chunk


def _clean_name(name: str) -> str:
    # Keep the name people see, minus any path a browser or bot put in front.
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    base = "".join(char for char in base if char >= " " and char != "\x7f")
    return base[:MAX_NAME_CHARS] or "file"


def _thumbnail_make(source: IO[bytes]) -> bytes | None:
    from PIL import Image, ImageOps, UnidentifiedImageError

    image: Image.Image
    try:
        with Image.open(source) as image:
            if image.width * image.height > THUMBNAIL_MAX_PIXELS:
                image.draft("RGB", THUMBNAIL_SIZE)  # JPEG can decode at 1/8 scale
                if image.width * image.height > THUMBNAIL_MAX_PIXELS:
                    return None
            image = ImageOps.exif_transpose(image)
            image.thumbnail(THUMBNAIL_SIZE)
            if image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            out = io.BytesIO()
            image.save(out, "JPEG", quality=80)
            return out.getvalue()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None


def attachment_thumbnail_ensure(*, attachment: Attachment) -> bool:
    """Make the image's thumbnail once; False when it is not an image Pillow reads."""
    if attachment.thumbnail:
        return True
    if not attachment.file or not attachment.mime_type.startswith("image/"):
        return False
    if attachment.mime_type in _NEVER_INLINE:
        return False
    with attachment.file.open("rb") as handle:
        data = _thumbnail_make(handle)
    if data is None:
        return False
    attachment.thumbnail.save("thumbnail.jpg", ContentFile(data), save=False)
    Attachment.objects.filter(pk=attachment.pk).update(
        thumbnail=attachment.thumbnail.name
    )
    return True


# Output ------------------------------------------------------------------------


def attachment_data(attachment: Attachment) -> dict[str, Any]:
    """The shape MessageOutputSerializer lists; URLs go to the authorised view."""
    # Outbound files are stored before they go to Apple, inbound ones after.
    stored = bool(attachment.file)
    is_image = attachment.mime_type.startswith("image/") and (
        attachment.mime_type not in _NEVER_INLINE
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


def _publish_message(message: Message) -> None:
    message = Message.objects.select_related("sender", "conversation").get(
        pk=message.pk
    )
    realtime.push_message_changed(message)


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
        raise NotFoundError("No such attachment.")
    return attachment


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
                name=_clean_name(descriptor.name),
                # What the device declared, shown until the bytes are sniffed.
                mime_type=descriptor.mime_type[:127],
                size=descriptor.size,
                status=Attachment.Status.PENDING,
                apple_descriptor=attachment_to_wire(descriptor),
            )
            for index, descriptor in enumerate(descriptors)
        ]
    )
    from .tasks import attachment_fetch as attachment_fetch_task

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
    _publish_message(attachment.message)
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
                copied = _copy((), spool)  # nothing to download
            else:
                with AppleClient().download_attachment(
                    source_id=business.apple_id, attachment=descriptor
                ) as chunks:
                    copied = _copy(chunks, spool)
        except AppleError as exc:
            if exc.permanent:
                _fetch_failed(attachment, exc.detail)
                return
            Attachment.objects.filter(pk=attachment.pk).update(
                status=Attachment.Status.PENDING, last_error=exc.detail
            )
            _publish_message(attachment.message)
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
    _publish_message(attachment.message)


def _fetch_failed(attachment: Attachment, reason: str) -> None:
    Attachment.objects.filter(pk=attachment.pk).update(
        status=Attachment.Status.FAILED, last_error=reason[:2000]
    )
    logger.warning(
        "attachment.fetch_failed",
        extra={"attachment": attachment.pk, "reason": reason},
    )
    _publish_message(attachment.message)


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
        from .services import message_retry

        return message_retry(message=message)
    updated = Attachment.objects.filter(
        id=attachment.id, status=Attachment.Status.FAILED
    ).update(status=Attachment.Status.PENDING, last_error="")
    if not updated:
        raise ConflictError(
            "Only a file that failed can be fetched again.", code="not_failed"
        )
    from .tasks import attachment_fetch as attachment_fetch_task

    _publish_message(message)
    transaction.on_commit(
        lambda: attachment_fetch_task.delay(attachment.id), robust=True
    )
    return Message.objects.select_related("sender").get(pk=message.pk)


# Outbound ----------------------------------------------------------------------


@dataclass
class _Prepared:
    upload: UploadedFile
    name: str
    mime_type: str
    size: int
    sha256: str


def _prepare(upload: UploadedFile, allowed: list[str]) -> _Prepared:
    name = _clean_name(upload.name or "file")
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
        raise ApplicationError(f"{name} is empty.", code="empty_file")
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
    from .services import MAX_TEXT_LENGTH

    if not files:
        raise ApplicationError("Attach at least one file.", code="no_files")
    if len(files) > MAX_FILES_PER_MESSAGE:
        raise ApplicationError(
            f"At most {MAX_FILES_PER_MESSAGE} files can be sent in one message.",
            code="too_many_files",
        )
    # Placeholders are ours to place: one per file, added when it is sent.
    text = (text or "").replace(OBJECT_REPLACEMENT, "").strip()
    if len(text) > MAX_TEXT_LENGTH or "\x00" in text:
        raise ApplicationError("The caption is too long or invalid.", code="bad_text")
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
    from .services.outbound import message_queue

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
        _publish_message(message)
        try:
            descriptor = client.upload_attachment(
                source_id=source_id,
                chunks=_leased(_file_chunks(attachment.file), message.id),
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
    _publish_message(message)
    return descriptors
