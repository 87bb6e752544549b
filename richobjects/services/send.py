"""Sending a library object to a customer, and previewing it for the picker."""

from __future__ import annotations

import contextlib
import secrets
import uuid
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.utils.translation import gettext

from conversations.exceptions import ApplicationError, PermissionDeniedError
from conversations.models import Business, Conversation, Membership, Message
from conversations.services import message_queue
from conversations.types import User

from .. import builders
from ..builders import device_supports
from ..channel import (
    merchant_settings_for,
    oauth_settings_for,
    payment_abandon,
    payment_prepare,
)
from ..models import RichMessage, RichObject, RichObjectVersion
from .library import spec_resolve_images
from .render import RenderedRichObject, rich_object_render

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
            gettext(
                "Set PUBLIC_BASE_URL (our public address, e.g. https://msp.example.com) "
                "before sending Apple Pay or sign-in objects without a request: the "
                "payment gateway URL and OAuth redirect URI must be absolute."
            ),
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
                gettext(
                    "Configure Apple Pay in channel settings before sending a payment request."
                ),
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
                gettext(
                    "Configure sign-in (OAuth) in channel settings before sending an authentication request."
                ),
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
            gettext("%(name)r is for the %(scope_team)s team only.")
            % {"name": rich_object.name, "scope_team": rich_object.scope_team}
        )
    if edits and not rich_object.agents_may_edit:
        raise PermissionDeniedError(
            gettext("%(name)r cannot be edited before sending.")
            % {"name": rich_object.name}
        )
    if params is not None and not isinstance(params, Mapping):
        raise ApplicationError(
            gettext("params must be an object."), code="invalid_params"
        )
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
            spec_resolve_images(
                business=rich_object.business,
                spec=version.spec,
                kind=rich_object.kind,
            ),
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
        # Those without a fallback: the picker asks for them before Send.
        "required_placeholders": builders.required_placeholders_in(version.spec),
        "spec": version.spec if rich_object.agents_may_edit else None,
        "payload": payload,
    }
