"""The library's images, objects and versions, validated through ``builders``.

Specs reference library images as ``{"images": {"logo": {"rich_image": <id>}}}``;
``spec_resolve_images`` swaps in the base64 bytes before anything is built, so
stored specs stay small and images are stored once.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction

from conversations.models import Business
from conversations.types import User

from .. import builders
from ..image_sizes import DEFAULT_STYLE, rich_image_variant, styles_for_images
from ..images import UnreadableImage, image_info
from ..models import RichImage, RichObject, RichObjectPublication, RichObjectVersion

EXPORT_FORMAT = "msp-console.richobjects"
EXPORT_VERSION = 1
# Larger images would push most payloads past Apple's 10 KB inline limit (spec §8).
RICH_IMAGE_MAX_BYTES = 1024 * 1024
# 4,000 x 4,000: far above the largest bubble (789 x 450), far below a bomb.
RICH_IMAGE_MAX_PIXELS = 16_000_000


class RichObjectInvalid(ValidationError):
    """Validation failed; ``message_dict`` maps each spec field to its broken rules."""


def _invalid(errors: builders.BuildError) -> RichObjectInvalid:
    if isinstance(errors, builders.BuildErrors):
        return RichObjectInvalid(errors.as_dict())
    return RichObjectInvalid({errors.field: [errors.rule]})


# --- images -----------------------------------------------------------------------


def rich_image_create(*, business: Business, name: str, data: bytes) -> RichImage:
    """Store an uploaded image once; uploading the same bytes again returns the first.

    Only PNG, JPEG and GIF are accepted. The original is kept; the bubble sizes
    are cut from it when first sent (``image_sizes``).
    """
    if len(data) > RICH_IMAGE_MAX_BYTES:
        raise RichObjectInvalid({"file": ["must be at most 1 MB"]})
    try:
        info = image_info(data)
    except UnreadableImage as exc:
        raise RichObjectInvalid({"file": [str(exc)]}) from exc
    if info.width * info.height > RICH_IMAGE_MAX_PIXELS:
        # A small file can decode to gigabytes: refused from its header.
        raise RichObjectInvalid(
            {"file": [f"must be at most {RICH_IMAGE_MAX_PIXELS} pixels"]}
        )
    digest = hashlib.sha256(data).hexdigest()
    existing = RichImage.objects.filter(business=business, sha256=digest).first()
    if existing is not None:
        return existing
    extension = info.mime_type.split("/")[1].replace("jpeg", "jpg")
    image = RichImage(
        business=business,
        name=name,
        mime_type=info.mime_type,
        width=info.width,
        height=info.height,
        size=len(data),
        sha256=digest,
    )
    image.file.save(f"{digest[:16]}.{extension}", ContentFile(data), save=False)
    image.save()
    return image


def _rich_image_ids(spec: Mapping[str, Any]) -> dict[str, int]:
    images = spec.get("images") if isinstance(spec, Mapping) else None
    if not isinstance(images, Mapping):
        return {}
    return {
        str(name): value["rich_image"]
        for name, value in images.items()
        if isinstance(value, Mapping) and "rich_image" in value
    }


def spec_resolve_images(
    *, business: Business, spec: Mapping[str, Any], kind: str = ""
) -> dict[str, Any]:
    """A copy of ``spec`` whose ``{"rich_image": id}`` images carry their base64 data,
    resized to Apple's bubble size for where each is shown (a rich link's own
    image at the large size: it is drawn across the bubble)."""
    references = _rich_image_ids(spec)
    if not references:
        return dict(spec)
    found = {
        image.pk: image
        for image in RichImage.objects.filter(
            business=business,
            pk__in=[r for r in references.values() if isinstance(r, int)],
        )
    }
    images: dict[str, Any] = dict(spec["images"])
    # Each image goes out cut to the largest bubble size it is shown at.
    styles = styles_for_images(
        spec, root_style="large" if kind == builders.Kind.RICH_LINK else None
    )
    problems: dict[str, list[str]] = {}
    for name, image_id in references.items():
        image = found.get(image_id) if isinstance(image_id, int) else None
        if image is None:
            problems[f"images.{name}"] = [
                f"no library image {image_id!r} in this business"
            ]
            continue
        variant = rich_image_variant(image=image, style=styles.get(name, DEFAULT_STYLE))
        images[name] = base64.b64encode(bytes(variant.data)).decode()
    if problems:
        raise RichObjectInvalid(problems)
    return {**spec, "images": images}


# --- objects -------------------------------------------------------------------------


def rich_object_validate(*, business: Business, kind: str, spec: Any) -> None:
    """Raise ``RichObjectInvalid`` unless ``spec`` builds cleanly as ``kind``."""
    if not isinstance(spec, Mapping):
        raise RichObjectInvalid({"spec": ["must be an object"]})
    try:
        builders.validate_spec(
            kind, spec_resolve_images(business=business, spec=spec, kind=kind)
        )
    except builders.BuildError as errors:
        raise _invalid(errors) from errors


def _clean_tags(tags: Iterable[str]) -> list[str]:
    # Tags are matched case-insensitively in search, so store them folded and once.
    cleaned: list[str] = []
    for tag in tags:
        folded = str(tag).strip().lower()
        if folded and folded not in cleaned:
            cleaned.append(folded)
    return cleaned


def _new_version(
    *, rich_object: RichObject, spec: Mapping[str, Any], user: User | None = None
) -> RichObjectVersion:
    last = (
        rich_object.versions.order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    return RichObjectVersion.objects.create(
        rich_object=rich_object,
        number=(last or 0) + 1,
        spec=dict(spec),
        text_alternative=rich_object.text_alternative,
        created_by=user,
    )


@transaction.atomic
def rich_object_create(
    *,
    business: Business,
    name: str,
    kind: str,
    spec: Mapping[str, Any],
    tags: Iterable[str] = (),
    locale: str = "",
    scope_team: str = "",
    agents_may_edit: bool = False,
    text_alternative: str = "",
    user: User | None = None,
) -> RichObject:
    """Create a draft object with its first version; the spec must build cleanly.

    Without a ``text_alternative`` one is generated and then follows content edits.
    """
    name = name.strip()
    if not name:
        raise RichObjectInvalid({"name": ["is required"]})
    if kind not in RichObject.Kind.values:
        raise RichObjectInvalid({"kind": [f"unknown rich object kind {kind!r}"]})
    if RichObject.objects.filter(business=business, name=name).exists():
        raise RichObjectInvalid({"name": [f"{name!r} already exists in this library"]})
    rich_object_validate(business=business, kind=kind, spec=spec)
    rich_object = RichObject.objects.create(
        business=business,
        name=name,
        kind=kind,
        tags=_clean_tags(tags),
        locale=locale,
        scope_team=scope_team,
        agents_may_edit=agents_may_edit,
        text_alternative=text_alternative.strip()
        or builders.text_alternative(kind, spec),
        text_alternative_edited=bool(text_alternative.strip()),
    )
    rich_object.current_version = _new_version(
        rich_object=rich_object, spec=spec, user=user
    )
    rich_object.save(update_fields=["current_version", "updated_at"])
    return rich_object


_UPDATABLE = ("name", "tags", "locale", "scope_team", "agents_may_edit")


@transaction.atomic
def rich_object_update(
    *,
    rich_object: RichObject,
    spec: Mapping[str, Any] | None = None,
    text_alternative: str | None = None,
    user: User | None = None,
    **fields: Any,
) -> RichObject:
    """Change metadata and/or content; new content becomes a new version.

    The published version stays what is sent until ``rich_object_publish``.
    ``text_alternative=""`` returns to the generated alternative.
    """
    unknown = set(fields) - set(_UPDATABLE)
    if unknown:
        raise TypeError(f"cannot update {', '.join(sorted(unknown))}")
    if "name" in fields:
        fields["name"] = str(fields["name"]).strip()
        clash = RichObject.objects.filter(
            business_id=rich_object.business_id, name=fields["name"]
        ).exclude(pk=rich_object.pk)
        if not fields["name"] or clash.exists():
            raise RichObjectInvalid({"name": ["is required and must be unique"]})
    if "tags" in fields:
        fields["tags"] = _clean_tags(fields["tags"])
    current_spec = (
        rich_object.current_version.spec if rich_object.current_version else {}
    )
    content_changed = spec is not None and dict(spec) != current_spec
    if content_changed:
        rich_object_validate(
            business=rich_object.business, kind=rich_object.kind, spec=spec
        )
    for key, value in fields.items():
        setattr(rich_object, key, value)
    effective_spec = spec if spec is not None and content_changed else current_spec
    if text_alternative is not None:
        rich_object.text_alternative_edited = bool(text_alternative.strip())
        rich_object.text_alternative = text_alternative.strip()
    if not rich_object.text_alternative_edited:
        rich_object.text_alternative = builders.text_alternative(
            rich_object.kind, effective_spec
        )
    alternative_changed = (
        rich_object.current_version is not None
        and rich_object.text_alternative != rich_object.current_version.text_alternative
    )
    if content_changed or alternative_changed:
        # The alternative is part of what goes out, so it is versioned with the spec.
        rich_object.current_version = _new_version(
            rich_object=rich_object, spec=effective_spec, user=user
        )
    rich_object.save()
    return rich_object


@transaction.atomic
def rich_object_publish(
    *, rich_object: RichObject, user: User | None = None
) -> RichObject:
    """Make the current version the one agents and bots send, and record who did.

    Re-validates, since library images it references may have been removed.
    """
    version = rich_object.current_version
    if version is None:
        raise RichObjectInvalid({"spec": ["there is no content to publish"]})
    rich_object_validate(
        business=rich_object.business, kind=rich_object.kind, spec=version.spec
    )
    rich_object.published_version = version
    rich_object.state = RichObject.State.PUBLISHED
    rich_object.save(update_fields=["published_version", "state", "updated_at"])
    RichObjectPublication.objects.create(
        rich_object=rich_object, version=version, published_by=user
    )
    return rich_object


@transaction.atomic
def rich_object_restore(
    *, rich_object: RichObject, number: int, user: User | None = None
) -> RichObject:
    """Make an earlier version's content the current one again, as a new version.

    Versions are never rewritten (sent messages point at them), so restoring
    copies: the history reads "v5 restored v2". Publish to send it.
    """
    old = rich_object.versions.filter(number=number).first()
    if old is None:
        raise RichObjectInvalid({"version": [f"there is no version {number}"]})
    # An alternative that differs from the generated one was written by hand.
    generated = builders.text_alternative(rich_object.kind, old.spec)
    return rich_object_update(
        rich_object=rich_object,
        spec=old.spec,
        text_alternative=""
        if old.text_alternative == generated
        else old.text_alternative,
        user=user,
    )


def rich_object_archive(*, rich_object: RichObject) -> RichObject:
    """Hide from agents and bots; versions stay for the messages that used them."""
    rich_object.state = RichObject.State.ARCHIVED
    rich_object.save(update_fields=["state", "updated_at"])
    return rich_object
