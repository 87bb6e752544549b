"""Writes to the rich-object library, validated through ``builders``.

Specs reference library images as ``{"images": {"logo": {"rich_image": <id>}}}``;
``spec_resolve_images`` swaps in the base64 bytes before anything is built, so
stored specs stay small and images are stored once.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import secrets
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import DatabaseError, transaction

from conversations.exceptions import ApplicationError, PermissionDeniedError
from conversations.models import Business, Conversation, Membership, Message
from conversations.services import message_queue
from conversations.types import User

from . import builders
from .builders import device_supports
from .channel import (
    merchant_settings_for,
    oauth_settings_for,
    payment_abandon,
    payment_prepare,
)
from .image_sizes import DEFAULT_STYLE, rich_image_variant, styles_for_images
from .images import UnreadableImage, image_info
from .models import RichImage, RichMessage, RichObject, RichObjectVersion

EXPORT_FORMAT = "msp-console.richobjects"
EXPORT_VERSION = 1
# Larger images would push most payloads past Apple's 10 KB inline limit (spec §8).
RICH_IMAGE_MAX_BYTES = 1024 * 1024


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
    *, business: Business, spec: Mapping[str, Any]
) -> dict[str, Any]:
    """A copy of ``spec`` whose ``{"rich_image": id}`` images carry their base64 data,
    resized to Apple's bubble size for where each is shown."""
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
    styles = styles_for_images(spec)
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
        builders.validate_spec(kind, spec_resolve_images(business=business, spec=spec))
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
def rich_object_publish(*, rich_object: RichObject) -> RichObject:
    """Make the current version the one agents and bots send.

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
    return rich_object


def rich_object_archive(*, rich_object: RichObject) -> RichObject:
    """Hide from agents and bots; versions stay for the messages that used them."""
    rich_object.state = RichObject.State.ARCHIVED
    rich_object.save(update_fields=["state", "updated_at"])
    return rich_object


# --- sending support -------------------------------------------------------------------


@dataclass(frozen=True)
class RenderedRichObject:
    """What to send for one version: the payload, and the text to use instead."""

    kind: str
    version_id: int
    payload: dict[str, Any]
    text_alternative: str
    request_identifier: str


def rich_object_render(
    *,
    version: RichObjectVersion,
    params: Mapping[str, Any] | None = None,
    spec_override: Mapping[str, Any] | None = None,
    request_identifier: str | None = None,
    merchant: builders.MerchantSettings | Mapping[str, Any] | None = None,
    merchant_session: Mapping[str, Any] | None = None,
    state: str | None = None,
    response_encryption_key: str | None = None,
    redirect_uri: str | None = None,
) -> RenderedRichObject:
    """Fill placeholders and build the payload for sending.

    ``spec_override`` is an agent's edit (only when the object allows it; the
    caller checks ``agents_may_edit``). Raises ``RichObjectInvalid`` naming a
    missing placeholder or a broken rule, for the agent to fix.
    """
    rich_object = version.rich_object
    spec = spec_override if spec_override is not None else version.spec
    try:
        filled = builders.render_placeholders(spec, params or {})
        # A generated alternative is rebuilt from what is actually sent (an agent's
        # edit, the merchant's fallback link); a hand-written one is kept as written.
        regenerate = not version.text_alternative or (
            version.text_alternative
            == builders.text_alternative(rich_object.kind, version.spec)
        )
        alternative = (
            builders.text_alternative(
                rich_object.kind, _with_fallback_link(filled, merchant)
            )
            if regenerate
            else builders.render_placeholders(version.text_alternative, params or {})
        )
        payload = builders.build(
            rich_object.kind,
            spec_resolve_images(business=rich_object.business, spec=filled),
            request_identifier=request_identifier,
            merchant=merchant,
            merchant_session=merchant_session,
            state=state,
            response_encryption_key=response_encryption_key,
            redirect_uri=redirect_uri,
        )
    except builders.BuildError as errors:
        raise _invalid(errors) from errors
    data = found if isinstance(found := payload.get("data"), Mapping) else {}
    return RenderedRichObject(
        kind=rich_object.kind,
        version_id=version.pk,
        payload=payload,
        text_alternative=alternative,
        request_identifier=str(data.get("requestIdentifier", "")),
    )


def _with_fallback_link(
    spec: Mapping[str, Any],
    merchant: builders.MerchantSettings | Mapping[str, Any] | None,
) -> Mapping[str, Any]:
    # Apple Pay's own fallback page is the natural link when the spec names none.
    if spec.get("fallback_url") or merchant is None:
        return spec
    link = (
        merchant.fallback_url
        if isinstance(merchant, builders.MerchantSettings)
        else merchant.get("fallback_url", "")
    )
    return {**spec, "fallback_url": link} if link else spec


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


# --- sending ------------------------------------------------------------------------------


class RichObjectNotAvailable(ApplicationError):
    status_code = 404
    code = "rich_object_not_found"


def _team_names(*, business: Business, user: User | None) -> list[str]:
    if user is None or not getattr(user, "pk", None):
        return []
    teams = getattr(user, "teams", None)
    if teams is None:
        return []
    return list(teams.filter(business=business).values_list("name", flat=True))


def rich_object_may_use(*, rich_object: RichObject, user: User | None) -> bool:
    """Whether ``user`` may send ``rich_object``: unscoped, or scoped to one of their teams.

    Admins of the business may send anything in its library.
    """
    if not rich_object.scope_team:
        return True
    if Membership.objects.filter(
        user=user, business_id=rich_object.business_id, role=Membership.Role.ADMIN
    ).exists():
        return True
    return rich_object.scope_team in _team_names(
        business=rich_object.business, user=user
    )


def _default_params(conversation: Conversation) -> dict[str, Any]:
    # What every send can use without the caller passing it.
    customer = conversation.customer
    return {
        "customer": {"name": customer.display_name or ""},
        "business": {"name": conversation.business.name},
    }


def _merge(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _invalid_to_error(exc: ValidationError) -> ApplicationError:
    fields = exc.message_dict if hasattr(exc, "error_dict") else {"spec": exc.messages}
    first_field, problems = next(iter(fields.items()))
    return ApplicationError(
        f"{first_field}: {problems[0]}",
        code="rich_object_invalid",
        extra={"fields": fields},
    )


def _public_base_url(base_url: str | None) -> str:
    """Where devices reach us: the sending request's host, else ``PUBLIC_BASE_URL``."""
    base = (base_url or settings.PUBLIC_BASE_URL or "").strip()
    if not base:
        raise ApplicationError(
            "Set PUBLIC_BASE_URL (our public address, e.g. https://msp.example.com) "
            "before sending Apple Pay or sign-in objects without a request: the "
            "payment gateway URL and OAuth redirect URI must be absolute.",
            code="public_base_url_missing",
        )
    return base.rstrip("/")


def _send_time_inputs(
    *, business: Business, kind: str, base_url: str | None = None
) -> dict[str, Any]:
    """Merchant and OAuth inputs for the kinds that need them; refuse when missing.

    For Apple Pay the merchant settings name the business-wide gateway URL and
    carry no session: ``rich_object_send`` swaps in the payment's own before
    the bubble is built.
    """
    if kind == RichObject.Kind.APPLE_PAY:
        merchant = merchant_settings_for(business, base_url=base_url)
        if merchant is None:
            raise ApplicationError(
                "Configure Apple Pay in channel settings before sending a payment request.",
                code="apple_pay_not_configured",
            )
        _public_base_url(base_url)  # A relative gateway URL would not reach us.
        return {"merchant": merchant}
    if kind in (
        RichObject.Kind.AUTHENTICATION,
        RichObject.Kind.AUTHENTICATION_LEGACY,
    ):
        oauth = oauth_settings_for(business, base_url=base_url)
        if oauth is None:
            raise ApplicationError(
                "Configure sign-in (OAuth) in channel settings before sending an authentication request.",
                code="oauth_not_configured",
            )
        _public_base_url(base_url)  # A relative redirect URI would not reach us.
        inputs: dict[str, Any] = {
            "state": secrets.token_urlsafe(24),
            "redirect_uri": oauth.redirect_uri,
        }
        if kind == RichObject.Kind.AUTHENTICATION_LEGACY:
            inputs["response_encryption_key"] = oauth.response_encryption_key
        return inputs
    return {}


def _render(version: RichObjectVersion, **kwargs: Any) -> RenderedRichObject:
    try:
        return rich_object_render(version=version, **kwargs)
    except ValidationError as exc:
        raise _invalid_to_error(exc) from exc


def _payment_total(rendered: RenderedRichObject) -> str:
    payment = (rendered.payload.get("data") or {}).get("payment") or {}
    total = (payment.get("paymentRequest") or {}).get("total") or {}
    return str(total.get("amount") or "")


def rich_object_send(
    *,
    conversation: Conversation,
    object_or_version: RichObject | RichObjectVersion,
    params: Mapping[str, Any] | None = None,
    edits: Mapping[str, Any] | None = None,
    sender: User | None,
    auto_reply: bool = False,
    base_url: str | None = None,
) -> Message:
    """Queue a library object for the customer through the ordinary outbound pipeline.

    A ``RichObject`` sends its published version; a ``RichObjectVersion`` is
    sent as is. Placeholders are filled from ``params`` (over the customer's
    and business's names); a missing value is a 400 naming it. When the
    conversation's device cannot show the kind (spec §5), the text alternative
    goes out instead; either way the message links the exact version and says
    which went out. ``edits`` (top-level spec keys) need ``agents_may_edit``.

    ``base_url`` is the sending request's host (``request.build_absolute_uri("/")``)
    for the absolute URLs Apple Pay and sign-in need; without it
    ``PUBLIC_BASE_URL`` is used, and with neither those kinds are a 400.

    An Apple Pay bubble records its ``Payment`` (rendered total, request
    identifier) and fetches its merchant session over HTTP before the message
    is created, so call this with no transaction open; if the bubble then
    cannot be queued, the payment is marked failed.
    """
    if isinstance(object_or_version, RichObjectVersion):
        version: RichObjectVersion | None = object_or_version
        rich_object = object_or_version.rich_object
    else:
        rich_object = object_or_version
        version = rich_object.published_version
    if rich_object.business_id != conversation.business_id or version is None:
        raise RichObjectNotAvailable("No such rich object in this business.")
    if rich_object.state != RichObject.State.PUBLISHED and isinstance(
        object_or_version, RichObject
    ):
        raise RichObjectNotAvailable("This rich object is not published.")
    if sender is not None and not rich_object_may_use(
        rich_object=rich_object, user=sender
    ):
        raise PermissionDeniedError(
            f"{rich_object.name!r} is for the {rich_object.scope_team} team only."
        )
    if edits and not rich_object.agents_may_edit:
        raise PermissionDeniedError(
            f"{rich_object.name!r} cannot be edited before sending."
        )
    if params is not None and not isinstance(params, Mapping):
        raise ApplicationError("params must be an object.", code="invalid_params")
    spec_override = _merge(version.spec, edits) if edits else None
    inputs = _send_time_inputs(
        business=conversation.business, kind=rich_object.kind, base_url=base_url
    )
    filled = _merge(_default_params(conversation), params or {})
    supported = device_supports(
        rich_object.kind, conversation.capabilities or [], conversation.device_agent
    )
    request_identifier = str(uuid.uuid4())
    render = {
        "params": filled,
        "spec_override": spec_override,
        "request_identifier": request_identifier,
        **inputs,
    }
    rendered = _render(version, **render)
    payment_id: int | None = None
    if supported and rich_object.kind == RichObject.Kind.APPLE_PAY:
        # The spec is valid and its total known: record the payment with both
        # (the processor is told them when the device posts its token), then
        # build the bubble on that payment's own gateway URL and session.
        prepared = payment_prepare(
            conversation=conversation,
            request_identifier=request_identifier,
            amount=_payment_total(rendered),
            base_url=_public_base_url(base_url),
        )
        payment_id = prepared.payment_id
        render["merchant"] = prepared.merchant
        render["merchant_session"] = prepared.merchant_session
        try:
            rendered = _render(version, **render)
        except ApplicationError as exc:
            payment_abandon(payment_id=payment_id, reason=exc.message)
            raise

    sent_as = (
        RichMessage.SentAs.INTERACTIVE
        if supported
        else RichMessage.SentAs.TEXT_ALTERNATIVE
    )
    summary = {
        "object": rich_object.pk,
        "name": rich_object.name,
        "kind": rich_object.kind,
        "version": version.number,
        "version_id": version.pk,
        "sent_as": sent_as.value,
    }
    if not supported:
        kind, body = Message.Kind.TEXT, rendered.text_alternative
        raw: dict[str, Any] = {"rich": summary}
        message_request_identifier = ""
    elif rich_object.kind == RichObject.Kind.RICH_LINK:
        kind, body = Message.Kind.RICH_LINK, rendered.payload["url"]
        raw = {"rich": summary, "url": body, "richLinkData": rendered.payload}
        message_request_identifier = ""
    else:
        received = rendered.payload.get("receivedMessage") or {}
        kind = Message.Kind.INTERACTIVE
        body = str(received.get("title") or rich_object.name)
        raw = {"rich": summary, "interactiveData": rendered.payload}
        message_request_identifier = rendered.request_identifier

    def link(message: Message) -> None:
        RichMessage.objects.create(
            message=message,
            version=version,
            kind=rich_object.kind,
            sent_as=sent_as,
            request_identifier=rendered.request_identifier,
            params=dict(params or {}),
            edited=bool(edits),
            payload=rendered.payload,
            oauth_state=str(inputs.get("state") or ""),
        )

    try:
        return message_queue(
            conversation=conversation,
            sender=sender,
            kind=kind,
            body=body,
            raw=raw,
            request_identifier=message_request_identifier,
            auto_reply=auto_reply,
            on_created=link,
        )
    except Exception as exc:
        if payment_id is not None:
            reason = getattr(exc, "message", "") or exc.__class__.__name__
            # In a transaction the failure broke (a caller's atomic block), the
            # payment row is rolled back with it; the original error matters more.
            with contextlib.suppress(DatabaseError):
                payment_abandon(payment_id=payment_id, reason=str(reason))
        raise


def rich_object_preview(*, rich_object: RichObject) -> dict[str, Any]:
    """The published (else current) version built with stand-ins, for the picker and admin.

    Placeholders stay as written, so the agent sees what they will fill in.
    """
    version = rich_object.published_version or rich_object.current_version
    if version is None:
        return {}
    try:
        payload = builders.validate_spec(
            rich_object.kind,
            spec_resolve_images(business=rich_object.business, spec=version.spec),
        )
    except (builders.BuildError, ValidationError):
        return {}
    bubble = payload.get("receivedMessage") or {}
    images = {
        image.get("identifier"): image.get("data")
        for image in (payload.get("data") or {}).get("images") or []
    }
    return {
        "version": version.number,
        "title": bubble.get("title") or payload.get("title", ""),
        "subtitle": bubble.get("subtitle", ""),
        "style": bubble.get("style", "icon"),
        "image": images.get(bubble.get("imageIdentifier")) or "",
        "text_alternative": version.text_alternative,
        "placeholders": builders.placeholders_in(version.spec),
        "spec": version.spec if rich_object.agents_may_edit else None,
        "payload": payload,
    }
