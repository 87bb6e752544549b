"""The library as a JSON document: export, and import with a report."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict

from django.core.exceptions import ValidationError
from django.db import transaction

from conversations.models import Business

from ..models import RichImage, RichObject
from .library import (
    EXPORT_FORMAT,
    EXPORT_VERSION,
    RichObjectInvalid,
    _rich_image_ids,
    rich_image_create,
    rich_object_create,
    rich_object_publish,
    rich_object_update,
)

# --- import / export -----------------------------------------------------------------------


def rich_object_export(business: Business) -> dict[str, Any]:
    """The business's library as JSON-able data: each object's current content and images.

    Archived objects are left out; image ids in specs are export-local references.
    """
    objects = (
        RichObject.objects.filter(business=business)
        .exclude(state=RichObject.State.ARCHIVED)
        .select_related("current_version")
        .order_by("name")
    )
    exported_objects = []
    image_ids: set[int] = set()
    for rich_object in objects:
        spec = rich_object.current_version.spec if rich_object.current_version else {}
        image_ids.update(
            i for i in _rich_image_ids(spec).values() if isinstance(i, int)
        )
        exported_objects.append(
            {
                "name": rich_object.name,
                "kind": rich_object.kind,
                "tags": list(rich_object.tags),
                "locale": rich_object.locale,
                "scope_team": rich_object.scope_team,
                "agents_may_edit": rich_object.agents_may_edit,
                "text_alternative": rich_object.text_alternative
                if rich_object.text_alternative_edited
                else "",
                "published": rich_object.state == RichObject.State.PUBLISHED,
                "spec": spec,
            }
        )
    exported_images = []
    for image in RichImage.objects.filter(business=business, pk__in=image_ids).order_by(
        "pk"
    ):
        with image.file.open("rb") as handle:
            data = handle.read()
        exported_images.append(
            {
                "ref": image.pk,
                "name": image.name,
                "data": base64.b64encode(data).decode(),
            }
        )
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "images": exported_images,
        "objects": exported_objects,
    }


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def _remap_images(
    spec: Mapping[str, Any], mapping: Mapping[Any, int]
) -> dict[str, Any]:
    images = spec.get("images")
    if not isinstance(images, Mapping):
        return dict(spec)
    remapped = {}
    for name, value in images.items():
        if isinstance(value, Mapping) and value.get("rich_image") in mapping:
            value = {"rich_image": mapping[value["rich_image"]]}
        remapped[name] = value
    return {**spec, "images": remapped}


def rich_object_import(business: Business, data: Mapping[str, Any]) -> ImportReport:
    """Load an exported library, matching objects by name; safe to run twice.

    Each object is validated and saved on its own, so one bad entry is reported
    without blocking the rest. An existing object gets a new version only when
    its content changed; published objects are published again.
    """
    if not isinstance(data, Mapping) or data.get("format") != EXPORT_FORMAT:
        raise RichObjectInvalid({"format": [f"not a {EXPORT_FORMAT} export"]})
    if data.get("version") != EXPORT_VERSION:
        raise RichObjectInvalid(
            {"version": [f"only version {EXPORT_VERSION} is understood"]}
        )
    report = ImportReport()
    image_map: dict[Any, int] = {}
    for entry in data.get("images") or []:
        ref = entry.get("ref") if isinstance(entry, Mapping) else None
        try:
            raw = base64.b64decode(str(entry.get("data", "")), validate=True)
            image = rich_image_create(
                business=business, name=str(entry.get("name") or "image"), data=raw
            )
        except (ValueError, ValidationError) as exc:
            report.errors[f"image {ref}"] = {"data": [str(exc)]}
            continue
        image_map[ref] = image.pk

    for entry in data.get("objects") or []:
        name = str(entry.get("name", "")).strip() if isinstance(entry, Mapping) else ""
        if not name:
            report.errors[f"object #{len(report.errors) + 1}"] = {
                "name": ["is required"]
            }
            continue
        spec = _remap_images(entry.get("spec") or {}, image_map)
        try:
            with transaction.atomic():
                _import_one(
                    business=business, entry=entry, name=name, spec=spec, report=report
                )
        except ValidationError as exc:
            report.errors[name] = (
                exc.message_dict
                if hasattr(exc, "error_dict")
                else {"spec": exc.messages}
            )
    return report


class _ImportedMetadata(TypedDict):
    tags: list[str]
    locale: str
    scope_team: str
    agents_may_edit: bool


def _import_one(
    *,
    business: Business,
    entry: Mapping[str, Any],
    name: str,
    spec: Mapping[str, Any],
    report: ImportReport,
) -> None:
    metadata: _ImportedMetadata = {
        "tags": entry.get("tags") or [],
        "locale": str(entry.get("locale") or ""),
        "scope_team": str(entry.get("scope_team") or ""),
        "agents_may_edit": bool(entry.get("agents_may_edit", False)),
    }
    alternative = str(entry.get("text_alternative") or "")
    existing = RichObject.objects.filter(business=business, name=name).first()
    if existing is None:
        rich_object = rich_object_create(
            business=business,
            name=name,
            kind=str(entry.get("kind", "")),
            spec=spec,
            text_alternative=alternative,
            **metadata,
        )
        report.created.append(name)
    else:
        if existing.kind != entry.get("kind"):
            raise RichObjectInvalid(
                {
                    "kind": [
                        f"{name!r} is a {existing.kind} here, not {entry.get('kind')}"
                    ]
                }
            )
        before = (
            existing.current_version_id,
            list(existing.tags),
            existing.locale,
            existing.scope_team,
            existing.agents_may_edit,
            existing.state,
        )
        rich_object = rich_object_update(
            rich_object=existing, spec=spec, text_alternative=alternative, **metadata
        )
        after_metadata = (
            list(rich_object.tags),
            rich_object.locale,
            rich_object.scope_team,
            rich_object.agents_may_edit,
        )
        changed = before[0] != rich_object.current_version_id or list(
            before[1:5]
        ) != list(after_metadata)
        (report.updated if changed else report.unchanged).append(name)
    wants_published = bool(entry.get("published"))
    if wants_published and (
        rich_object.state != RichObject.State.PUBLISHED
        or rich_object.has_unpublished_changes
    ):
        rich_object_publish(rich_object=rich_object)
        if name in report.unchanged:
            report.unchanged.remove(name)
            report.updated.append(name)
