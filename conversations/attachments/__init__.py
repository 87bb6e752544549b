"""Attachments both ways (spec §6), one module per seam: ``files`` (limits, types,
streaming, thumbnails), ``serializers``, ``selectors``, ``inbound`` (from Apple's
MMCS to storage) and ``outbound`` (from storage to MMCS). Import them from here."""

from __future__ import annotations

from .files import (
    CHUNK_BYTES,
    DEFAULT_ALLOWED_TYPES,
    LEASE_EVERY_BYTES,
    MAX_ATTACHMENT_BYTES,
    MAX_FILES_PER_MESSAGE,
    MAX_NAME_CHARS,
    REQUEST_OVERHEAD_BYTES,
    SNIFF_BYTES,
    THUMBNAIL_MAX_PIXELS,
    THUMBNAIL_SIZE,
    UPLOAD_LEASE,
    UPLOAD_SOFT_TIME_LIMIT,
    AttachmentTooLarge,
    AttachmentTypeNotAllowed,
    LimitedUploadHandler,
    attachment_thumbnail_ensure,
    business_allowed_types,
    mime_type_allowed,
    mime_type_sniff,
    request_length_check,
    shows_inline,
)
from .inbound import (
    attachment_fetch,
    attachment_mark_failed,
    attachment_retry,
    attachments_create_inbound,
)
from .outbound import (
    attachments_body_with_files,
    attachments_send,
    attachments_upload_for_message,
)
from .selectors import (
    attachment_get_for_user,
)
from .serializers import (
    attachment_data,
)

__all__ = [
    "CHUNK_BYTES",
    "DEFAULT_ALLOWED_TYPES",
    "LEASE_EVERY_BYTES",
    "MAX_ATTACHMENT_BYTES",
    "MAX_FILES_PER_MESSAGE",
    "MAX_NAME_CHARS",
    "REQUEST_OVERHEAD_BYTES",
    "SNIFF_BYTES",
    "THUMBNAIL_MAX_PIXELS",
    "THUMBNAIL_SIZE",
    "UPLOAD_LEASE",
    "UPLOAD_SOFT_TIME_LIMIT",
    "AttachmentTooLarge",
    "AttachmentTypeNotAllowed",
    "LimitedUploadHandler",
    "attachment_data",
    "attachment_fetch",
    "attachment_get_for_user",
    "attachment_mark_failed",
    "attachment_retry",
    "attachment_thumbnail_ensure",
    "attachments_body_with_files",
    "attachments_create_inbound",
    "attachments_send",
    "attachments_upload_for_message",
    "business_allowed_types",
    "mime_type_allowed",
    "mime_type_sniff",
    "request_length_check",
    "shows_inline",
]
