"""Attachments both ways (spec §6): limits, type sniffing, streaming and thumbnails.

Every path streams in chunks: bytes pass through a temporary file or the storage
backend, never a whole-file buffer, so a 100 MB attachment costs a few chunks of
memory.
"""

from __future__ import annotations

import hashlib
import io
import logging
import mimetypes
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import IO, Any

import filetype
from django.core.files.base import ContentFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.utils import timezone
from django.utils.translation import gettext

from ..exceptions import (
    ApplicationError,
)
from ..models import Attachment, Business, Message

logger = logging.getLogger(__name__)


MAX_ATTACHMENT_BYTES = 100 * 1024 * 1024  # Apple's limit, both ways (spec §6)
MAX_FILES_PER_MESSAGE = 10
# Multipart framing and the caption around the files of one request.
REQUEST_OVERHEAD_BYTES = 1024 * 1024
CHUNK_BYTES = 256 * 1024
SNIFF_BYTES = 8192  # what filetype reads to recognise a type
MAX_NAME_CHARS = 255
THUMBNAIL_SIZE = (480, 480)
# Renew an uploading message's claim this often (see leased_chunks).
LEASE_EVERY_BYTES = 8 * 1024 * 1024
# A message with files is claimed for this long, and the upload renews the
# claim at least every UPLOAD_LEASE_RENEW seconds while bytes flow.
UPLOAD_LEASE = timedelta(seconds=120)
UPLOAD_LEASE_RENEW = 20.0
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
NEVER_INLINE = frozenset({"image/svg+xml"})


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
    if mime in NEVER_INLINE:
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
                gettext(
                    "At most %(max_files_per_message)s files can be sent in one message."
                )
                % {"max_files_per_message": MAX_FILES_PER_MESSAGE},
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
class Copied:
    size: int
    sha256: str
    head: bytes


def copy_chunks(chunks: Iterable[bytes], out: IO[bytes]) -> Copied:
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
    return Copied(size=size, sha256=digest.hexdigest(), head=bytes(head))


def file_chunks(field_file: Any) -> Iterator[bytes]:
    with field_file.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            yield chunk


def leased_chunks(chunks: Iterable[bytes], message_id: int) -> Iterator[bytes]:
    """Pass chunks through, renewing the message's claim as the upload goes.

    The sweeper puts a message back to pending once its claim
    (``next_attempt_at``) runs out; a long upload is not a dead worker, so
    pushing the claim forward keeps a second worker from uploading too.
    """
    sent = 0
    renewed = time.monotonic()
    for chunk in chunks:
        sent += len(chunk)
        if sent >= LEASE_EVERY_BYTES or time.monotonic() - renewed > UPLOAD_LEASE_RENEW:
            sent = 0
            renewed = time.monotonic()
            now = timezone.now()
            Message.objects.filter(pk=message_id, status=Message.Status.SENDING).update(
                status_changed_at=now, next_attempt_at=now + UPLOAD_LEASE
            )
        yield chunk


def clean_name(name: str) -> str:
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
    if attachment.mime_type in NEVER_INLINE:
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
