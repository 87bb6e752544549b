"""Writes to the rich-object library, one module per seam: ``library`` (images,
objects, versions), ``render`` (a version's payload and text alternative),
``transfer`` (import and export) and ``send``. Import them from here."""

from __future__ import annotations

from .library import (
    EXPORT_FORMAT,
    EXPORT_VERSION,
    RICH_IMAGE_MAX_BYTES,
    RichObjectInvalid,
    rich_image_create,
    rich_object_archive,
    rich_object_create,
    rich_object_publish,
    rich_object_restore,
    rich_object_update,
    rich_object_validate,
    spec_resolve_images,
)
from .render import (
    RenderedRichObject,
    rich_object_render,
)
from .send import (
    RichObjectNotAvailable,
    rich_object_may_use,
    rich_object_preview,
    rich_object_send,
)
from .transfer import (
    ImportReport,
    rich_object_export,
    rich_object_import,
)

__all__ = [
    "EXPORT_FORMAT",
    "EXPORT_VERSION",
    "RICH_IMAGE_MAX_BYTES",
    "ImportReport",
    "RenderedRichObject",
    "RichObjectInvalid",
    "RichObjectNotAvailable",
    "rich_image_create",
    "rich_object_archive",
    "rich_object_create",
    "rich_object_export",
    "rich_object_import",
    "rich_object_may_use",
    "rich_object_preview",
    "rich_object_publish",
    "rich_object_render",
    "rich_object_restore",
    "rich_object_send",
    "rich_object_update",
    "rich_object_validate",
    "spec_resolve_images",
]
