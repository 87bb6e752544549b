"""One version rendered for a conversation: the payload and its text alternative."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from django.utils import timezone

from .. import builders
from .. import slots as slot_rules
from ..extensions import business_time_zone
from ..models import RichObjectVersion
from .library import _invalid, spec_resolve_images

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
    now: datetime | None = None,
) -> RenderedRichObject:
    """Fill placeholders and build the payload for sending.

    ``spec_override`` is an agent's edit (only when the object allows it; the
    caller checks ``agents_may_edit``). A time picker's relative slots become
    dates from ``now`` (default: now) in the business's zone, and its slots
    already started are dropped. Raises ``RichObjectInvalid`` naming a
    missing placeholder or a broken rule, for the agent to fix.
    """
    rich_object = version.rich_object
    spec = spec_override if spec_override is not None else version.spec
    zone = business_time_zone(rich_object.business)
    try:
        filled = builders.render_placeholders(spec, params or {})
        if rich_object.kind == builders.Kind.TIME_PICKER:
            filled = _slots_now(filled, now=now or timezone.now(), zone=zone)
        # A generated alternative is rebuilt from what is actually sent (an agent's
        # edit, the merchant's fallback link); a hand-written one is kept as written.
        regenerate = not version.text_alternative or (
            version.text_alternative
            == builders.text_alternative(rich_object.kind, version.spec)
        )
        alternative = (
            builders.text_alternative(
                rich_object.kind, _with_fallback_link(filled, merchant), zone=zone
            )
            if regenerate
            else builders.render_placeholders(version.text_alternative, params or {})
        )
        payload = builders.build(
            rich_object.kind,
            spec_resolve_images(
                business=rich_object.business, spec=filled, kind=rich_object.kind
            ),
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


def _slots_now(
    spec: Mapping[str, Any], *, now: datetime, zone: tzinfo
) -> dict[str, Any]:
    expanded, problems = slot_rules.spec_at(spec, now=now, zone=zone, drop_past=True)
    if problems:
        raise builders.BuildErrors(builders.BuildError(f, r) for f, r in problems)
    return expanded
