"""What the admin's live preview shows, and the starter specs for each kind.

``bubble_preview`` runs the same builder a send runs (with the stand-in
send-time inputs of ``builders.validate_spec``) and keeps only what the device
draws: the received bubble, and for pickers the choices behind it. Anything
the builder refuses comes back as ``RichObjectInvalid`` naming field and rule.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
from collections.abc import Mapping
from datetime import timedelta, tzinfo
from datetime import timezone as timezone_offset
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from conversations.apple import limits
from conversations.models import Business

from . import builders, slots
from .extensions import (
    IMessageAppChoice,
    business_imessage_apps,
    business_time_zone,
)
from .images import UnreadableImage, image_info
from .services import RichObjectInvalid, rich_object_validate, spec_resolve_images

# One sensible, valid spec per kind so an admin never starts from a blank page.
STARTERS: dict[str, dict[str, Any]] = {
    builders.Kind.QUICK_REPLY: {
        "summary": "How can we help, {{customer.name|there}}?",
        "items": ["Order status", "Returns", "Something else"],
    },
    builders.Kind.LIST_PICKER: {
        "received": {"title": "Pick a product", "subtitle": "Tap to choose"},
        "reply": {"title": "Thanks!"},
        "sections": [
            {
                "title": "Products",
                "multiple_selection": False,
                "items": [
                    {"id": "first", "title": "First product", "subtitle": "In stock"},
                    {"id": "second", "title": "Second product"},
                ],
            }
        ],
    },
    builders.Kind.TIME_PICKER: {
        "received": {"title": "Book an appointment"},
        "title": "Appointment",
        # Relative, so the starter never offers a day that has passed.
        "relative_slots": {
            "days": 3,
            "weekdays_only": True,
            "from": "10:00",
            "to": "17:00",
            "every": 3600,
            "duration": 3600,
        },
    },
    builders.Kind.FORM: {
        "received": {"title": "A few questions"},
        "splash": {"header": "Tell us more", "button_title": "Start"},
        "pages": [
            {
                "id": "topic",
                "type": "select",
                "title": "What is it about?",
                "next": "name",
                "items": [{"title": "An order"}, {"title": "Something else"}],
            },
            {"id": "name", "type": "input", "title": "Your name"},
        ],
    },
    builders.Kind.APPLE_PAY: {
        "received": {"title": "Your order", "subtitle": "Pay with Apple Pay"},
        "line_items": [
            {"label": "Item", "amount": "10.00"},
            {"label": "Shipping", "amount": "2.50"},
        ],
        "required_shipping_contact_fields": ["email", "postalAddress"],
    },
    builders.Kind.AUTHENTICATION: {
        "received": {"title": "Sign in", "subtitle": "to see your orders"},
        "scope": ["profile"],
    },
    builders.Kind.AUTHENTICATION_LEGACY: {
        "received": {"title": "Sign in", "subtitle": "to see your orders"},
        "scope": ["profile"],
    },
    builders.Kind.IMESSAGE_APP: {
        "team_id": "ABCDE12345",
        "extension_bundle_id": "com.example.app.MessagesExtension",
        "app_id": "1234567890",
        "app_name": "Example app",
        "url": "?screen=start",
        "received": {"title": "Open our app"},
    },
    builders.Kind.RICH_LINK: {
        "url": "https://example.com/",
        "title": "Example page",
    },
}


def starter_spec(kind: str, business: Business | None = None) -> dict[str, Any]:
    """A fresh copy of the starter for ``kind`` (empty for an unknown kind).

    An iMessage app starts as the business's first app when it has one.
    """
    spec = copy.deepcopy(STARTERS.get(kind, {}))
    if kind == builders.Kind.IMESSAGE_APP and business is not None:
        apps = business_imessage_apps(business)
        if apps:
            spec.update(imessage_app_spec(apps[0]))
    return spec


def imessage_app_spec(app: IMessageAppChoice) -> dict[str, str]:
    """The spec keys that name one of the business's iMessage apps."""
    return {
        "team_id": app.team_id,
        "extension_bundle_id": app.extension_bundle_id,
        "app_id": app.app_id,
        "app_name": app.name,
        "url": app.url,
    }


def _data_url(data: Any) -> str:
    if not isinstance(data, str) or not data:
        return ""
    try:
        mime = image_info(base64.b64decode(data, validate=True)[:65536]).mime_type
    except (binascii.Error, ValueError, UnreadableImage):
        return ""
    return f"data:{mime};base64,{data}"


def _bubble(raw: Any, images: Mapping[str, str]) -> dict[str, str] | None:
    if not isinstance(raw, Mapping):
        return None
    return {
        "title": str(raw.get("title", "")),
        "subtitle": str(raw.get("subtitle", "")),
        "style": str(raw.get("style", "icon")),
        "image": _data_url(images.get(str(raw.get("imageIdentifier", "")), "")),
    }


def _choices(
    kind: str, spec: Mapping[str, Any], payload: Mapping[str, Any], zone: tzinfo
) -> Any:
    """What the customer sees after tapping the bubble, per kind."""
    data = payload.get("data") or {}
    if kind == builders.Kind.QUICK_REPLY:
        return [i["title"] for i in data["quick-reply"]["items"]]
    if kind == builders.Kind.LIST_PICKER:
        return [
            {
                "title": section.get("title", ""),
                "multiple": section["multipleSelection"],
                "items": [
                    {"title": i["title"], "subtitle": i.get("subtitle", "")}
                    for i in section["items"]
                ],
            }
            for section in data["listPicker"]["sections"]
        ]
    if kind == builders.Kind.TIME_PICKER:
        event = data["event"]
        offset = event.get("timezoneOffset")
        shown = zone if offset is None else timezone_offset(timedelta(minutes=offset))
        return [
            builders.slot_label(slot["startTime"], slot["duration"], shown)
            for slot in event["timeslots"]
        ]
    if kind == builders.Kind.FORM:
        return [page["title"] for page in data["dynamic"]["data"]["pages"]]
    if kind == builders.Kind.APPLE_PAY:
        request = data["payment"]["paymentRequest"]
        lines = [f"{i['label']}: {i['amount']}" for i in request["lineItems"]]
        total = request["total"]
        return [*lines, f"Total: {total['amount']} {request['currencyCode']}"]
    if kind in (builders.Kind.AUTHENTICATION, builders.Kind.AUTHENTICATION_LEGACY):
        return [f"Scope: {' '.join(data['authenticate']['oauth2']['scope'])}"]
    if kind == builders.Kind.IMESSAGE_APP:
        return [f"{payload.get('appName', '')} · iMessage app"]
    return []


def bubble_preview(*, business: Business, kind: str, spec: Any) -> dict[str, Any]:
    """The bubble the device would draw for ``spec`` if sent now; raises
    ``RichObjectInvalid``. Relative time slots are expanded as a send would,
    in the business's zone (past fixed ones stay: the send drops them)."""
    rich_object_validate(business=business, kind=kind, spec=spec)
    zone = business_time_zone(business)
    if kind == builders.Kind.TIME_PICKER and isinstance(spec, Mapping):
        spec, _ = slots.spec_at(spec, now=timezone.now(), zone=zone, drop_past=False)
    resolved = spec_resolve_images(business=business, spec=spec, kind=kind)
    payload = builders.validate_spec(kind, resolved)
    size = limits.payload_size(payload)
    if kind == builders.Kind.RICH_LINK:
        image = (payload.get("assets") or {}).get("image") or {}
        return {
            "kind": kind,
            "received": {
                "title": payload["title"],
                "subtitle": payload["url"],
                "style": "large",
                "image": _data_url(image.get("data")),
            },
            "reply": None,
            "choices": [],
            "size": size,
            "data_ref": limits.needs_data_ref(payload),
        }
    images = {
        str(image["identifier"]): image["data"]
        for image in (payload.get("data") or {}).get("images") or []
    }
    return {
        "kind": kind,
        "received": _bubble(payload.get("receivedMessage"), images),
        "reply": _bubble(payload.get("replyMessage"), images),
        "choices": _choices(kind, resolved, payload, zone),
        "size": size,
        "data_ref": limits.needs_data_ref(payload),
        "text_alternative": builders.text_alternative(kind, spec, zone=zone),
    }


# The sample customer an admin previews placeholders with.
SAMPLE_PARAMS: dict[str, Any] = {
    "customer": {"name": "Jane Appleseed"},
    "business": {"name": "Your business"},
}


def _error(
    status: int, code: str, message: str, fields: dict[str, list[str]] | None = None
) -> tuple[int, dict[str, Any]]:
    return status, {"error": {"code": code, "message": message, "fields": fields or {}}}


def preview_answer(
    *, business: Business, kind: str, spec: Any, sample: bool = False
) -> tuple[int, dict[str, Any]]:
    """The preview endpoints' answer: (200, {"preview"}) or (400, {"error"}) whose
    ``fields`` name every rule the builders found broken, by spec path.

    ``spec`` may be JSON text. With ``sample`` the placeholders are filled from
    ``SAMPLE_PARAMS`` (and their fallbacks) first, as a customer would see them.
    """
    if isinstance(spec, str):
        try:
            spec = json.loads(spec)
        except ValueError as exc:
            return _error(
                400,
                "rich_object_invalid",
                f"spec: is not valid JSON ({exc})",
                {"spec": [f"is not valid JSON ({exc})"]},
            )
    if kind not in {k.value for k in builders.Kind}:
        return _error(400, "invalid_request", f"unknown kind {kind!r}")
    try:
        bubble = bubble_preview(business=business, kind=kind, spec=spec)
        if sample:
            filled = builders.render_placeholders(
                spec, {**SAMPLE_PARAMS, "business": {"name": business.name}}
            )
            bubble = {
                **bubble_preview(business=business, kind=kind, spec=filled),
                "placeholders": builders.placeholders_in(spec),
            }
    except ValidationError as exc:
        fields = (
            exc.message_dict if hasattr(exc, "error_dict") else {"spec": exc.messages}
        )
        first, rules = next(iter(fields.items()))
        return _error(400, "rich_object_invalid", f"{first}: {rules[0]}", fields)
    except builders.BuildError as exc:
        fields = (
            exc.as_dict()
            if isinstance(exc, builders.BuildErrors)
            else {exc.field: [exc.rule]}
        )
        return _error(400, "rich_object_invalid", str(exc), fields)
    return 200, {"preview": bubble}


__all__ = [
    "SAMPLE_PARAMS",
    "STARTERS",
    "RichObjectInvalid",
    "bubble_preview",
    "preview_answer",
    "starter_spec",
]
