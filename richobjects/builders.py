"""Domain input → Apple ``interactiveData`` / ``richLinkData`` payloads (spec §5, §7).

Pure functions, standard library only: no Django, nothing from ``conversations``.
Every builder either returns a payload that is valid by construction or raises
``BuildErrors`` listing each field that broke a rule.

The input ("spec") is a plain JSON-able dict in our own snake_case vocabulary, so
the library can store it as-is. Keys shared by the interactive kinds:

- ``received`` / ``reply``: bubbles ``{"title", "subtitle", "image", "style"}``
  (``style`` is ``icon``, ``small`` or ``large``; ``image`` names an entry of
  ``images``);
- ``images``: ``{"<identifier>": "<base64>"}``; only images that are referenced
  travel in ``data.images``;
- ``request_identifier``: optional; a UUID is generated otherwise;
- ``fallback_url``: optional link used by the plain-text alternative.

Per kind: see the ``build_*`` docstrings.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, overload
from urllib.parse import urlencode, urlsplit

from conversations.apple.limits import RICH_LINK_IMAGE_MAX_BYTES

from . import slots as slot_rules

APPLE_BUSINESS_BID = (
    "com.apple.messages.MSMessageExtensionBalloonPlugin:0000000000:"
    "com.apple.icloud.apps.messages.business.extension"
)
IMESSAGE_BID_PREFIX = "com.apple.messages.MSMessageExtensionBalloonPlugin"
DATA_VERSION = "1.0"
FORM_TEMPLATE_VERSION = "1.1"
IMESSAGE_URL_MAX_BYTES = 64 * 1024
BUBBLE_STYLES = ("icon", "small", "large")
# Pixel sizes of the bubble image per style (spec §7).
BUBBLE_IMAGE_SIZES = {"icon": (120, 120), "small": (180, 180), "large": (789, 450)}


class Kind(StrEnum):
    QUICK_REPLY = "quick_reply"
    LIST_PICKER = "list_picker"
    TIME_PICKER = "time_picker"
    FORM = "form"
    APPLE_PAY = "apple_pay"
    AUTHENTICATION = "authentication"
    AUTHENTICATION_LEGACY = "authentication_legacy"
    IMESSAGE_APP = "imessage_app"
    RICH_LINK = "rich_link"


# --- errors -------------------------------------------------------------------


class BuildError(ValueError):
    """One broken rule: ``str(error)`` is ``"<field>: <rule>"``."""

    def __init__(self, field: str, rule: str) -> None:
        self.field = field
        self.rule = rule
        super().__init__(f"{field}: {rule}")


class BuildErrors(BuildError):
    """Every broken rule of one build; catching ``BuildError`` catches this too."""

    def __init__(self, errors: Iterable[BuildError]) -> None:
        self.errors = list(errors)
        if not self.errors:
            raise ValueError("BuildErrors needs at least one error")
        self.field = self.errors[0].field
        self.rule = self.errors[0].rule
        ValueError.__init__(self, "; ".join(str(error) for error in self.errors))

    def as_dict(self) -> dict[str, list[str]]:
        """Rules grouped by field, the shape a form or an API error wants."""
        grouped: dict[str, list[str]] = {}
        for error in self.errors:
            grouped.setdefault(error.field, []).append(error.rule)
        return grouped


class _Problems:
    """Collects errors so one build reports all of them, not just the first."""

    def __init__(self) -> None:
        self.errors: list[BuildError] = []

    def add(self, field: str, rule: str) -> None:
        self.errors.append(BuildError(field, rule))

    def raise_if_any(self) -> None:
        if self.errors:
            raise BuildErrors(self.errors)


# --- settings passed in by the caller -------------------------------------------


@dataclass(frozen=True)
class MerchantSettings:
    """A business's Apple Pay settings (spec §9); they live with the channel, not the object."""

    merchant_identifier: str
    merchant_name: str
    country_code: str
    currency_code: str
    payment_gateway_url: str
    supported_networks: tuple[str, ...] = ("amex", "discover", "masterCard", "visa")
    merchant_capabilities: tuple[str, ...] = (
        "supports3DS",
        "supportsCredit",
        "supportsDebit",
    )
    fallback_url: str = ""
    order_tracking_url: str = ""
    payment_method_update_url: str = ""
    shipping_contact_update_url: str = ""
    shipping_method_update_url: str = ""


# Used only to validate a stored spec whose send-time inputs do not exist yet.
STAND_IN_MERCHANT = MerchantSettings(
    merchant_identifier="merchant.com.example.validation",
    merchant_name="Validation",
    country_code="US",
    currency_code="USD",
    payment_gateway_url="https://example.invalid/pay",
)
_STAND_IN_STATE = "validation-state"
_STAND_IN_REDIRECT_URI = "https://example.invalid/oauth/redirect"
_STAND_IN_ENCRYPTION_KEY = base64.b64encode(b"\x04" + b"\x00" * 96).decode()


# --- small readers ----------------------------------------------------------------


def _path(prefix: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{prefix}[{key}]"
    return f"{prefix}.{key}" if prefix else key


def _mapping(p: _Problems, value: Any, field: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        p.add(field, "must be an object")
        return {}
    return value


def _list(p: _Problems, value: Any, field: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        p.add(field, "must be a list")
        return []
    return list(value)


def _text(
    p: _Problems,
    spec: Mapping[str, Any],
    key: str,
    prefix: str = "",
    *,
    required: bool = True,
    max_length: int = 1024,
) -> str:
    field = _path(prefix, key)
    value = spec.get(key)
    if value is None or value == "":
        if required:
            p.add(field, "is required")
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        p.add(field, "must be text")
        return ""
    text = str(value).strip()
    if required and not text:
        p.add(field, "is required")
    if len(text) > max_length:
        p.add(field, f"must be at most {max_length} characters (got {len(text)})")
    return text


def _bool(
    p: _Problems, spec: Mapping[str, Any], key: str, prefix: str, default: bool
) -> bool:
    value = spec.get(key, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        p.add(_path(prefix, key), "must be true or false")
        return default
    return value


def _http_url(p: _Problems, value: str, field: str, *, required: bool = True) -> str:
    if not value:
        if required:
            p.add(field, "is required")
        return ""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        p.add(field, f"must be an http(s) URL (got {value!r})")
    return value


def _base64_bytes(p: _Problems, value: Any, field: str) -> bytes | None:
    if not isinstance(value, str) or not value:
        p.add(field, "must be base64 text")
        return None
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        p.add(field, "is not valid base64")
        return None


def _identifier(value: Any, fallback: str) -> str:
    if value is None or value == "":
        return fallback
    return str(value)


def _unique(p: _Problems, values: list[str], field: str, what: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            p.add(field, f"duplicate {what} {value!r}")
        seen.add(value)


def _request_identifier(
    p: _Problems, spec: Mapping[str, Any], given: str | None
) -> str:
    value = given or spec.get("request_identifier")
    if not value:
        return str(uuid.uuid4())
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        p.add("request_identifier", f"must be a UUID (got {value!r})")
        return str(value)


# --- images and bubbles ------------------------------------------------------------


class _Images:
    """The spec's images, and which of them the payload actually references."""

    def __init__(self, p: _Problems, spec: Mapping[str, Any]) -> None:
        self._p = p
        self.available: dict[str, str] = {}
        self.used: list[str] = []
        for name, data in _mapping(p, spec.get("images"), "images").items():
            if _base64_bytes(p, data, f"images.{name}") is not None:
                self.available[str(name)] = data

    def ref(self, value: Any, field: str) -> str:
        if value is None or value == "":
            return ""
        name = str(value)
        if name not in self.available:
            self._p.add(field, f"unknown image {name!r} (add it to images)")
            return ""
        if name not in self.used:
            self.used.append(name)
        return name

    def payload(self) -> list[dict[str, str]]:
        return [{"identifier": n, "data": self.available[n]} for n in self.used]


def _bubble(
    p: _Problems,
    images: _Images,
    spec: Mapping[str, Any],
    key: str,
    *,
    default_title: str = "",
) -> dict[str, str] | None:
    raw = _mapping(p, spec.get(key), key)
    if not raw and key == "reply":
        return None
    if not raw.get("title") and default_title:
        raw = {**raw, "title": default_title}
    bubble = {"title": _text(p, raw, "title", key, max_length=512)}
    subtitle = _text(p, raw, "subtitle", key, required=False, max_length=512)
    if subtitle:
        bubble["subtitle"] = subtitle
    image = images.ref(raw.get("image"), f"{key}.image")
    if image:
        bubble["imageIdentifier"] = image
    style = raw.get("style") or "icon"
    if style not in BUBBLE_STYLES:
        p.add(f"{key}.style", f"must be one of icon, small, large (got {style!r})")
    bubble["style"] = style
    return bubble


def _envelope(
    p: _Problems,
    spec: Mapping[str, Any],
    images: _Images,
    *,
    feature: Mapping[str, Any],
    request_identifier: str | None,
    default_title: str = "",
    msp_version: bool = False,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "version": DATA_VERSION,
        "requestIdentifier": _request_identifier(p, spec, request_identifier),
    }
    if msp_version:
        # Apple's own picker samples carry both; sending both costs nothing (spec §7).
        data["mspVersion"] = DATA_VERSION
    data.update(feature)
    received = _bubble(p, images, spec, "received", default_title=default_title)
    reply = _bubble(p, images, spec, "reply")
    # Images last: bubbles above may reference some too.
    if images.used:
        data["images"] = images.payload()
    payload: dict[str, Any] = {
        "bid": APPLE_BUSINESS_BID,
        "data": data,
        "receivedMessage": received,
    }
    if reply:
        payload["replyMessage"] = reply
    session = spec.get("session_identifier")
    if session:
        payload["sessionIdentifier"] = str(session)
    if "use_live_layout" in spec:
        payload["useLiveLayout"] = _bool(p, spec, "use_live_layout", "", True)
    return payload


# --- quick reply (spec §7.3) -----------------------------------------------------------


def build_quick_reply(
    spec: Mapping[str, Any], *, request_identifier: str | None = None
) -> dict[str, Any]:
    """``{"summary", "items": [{"id"?, "title"} | "title", …]}`` → QUICK payload.

    2 to 5 items; ids default to "1", "2", … in order.
    """
    p = _Problems()
    images = _Images(p, spec)
    summary = _text(p, spec, "summary", max_length=512)
    raw_items = _list(p, spec.get("items"), "items")
    if not 2 <= len(raw_items) <= 5:
        p.add("items", f"a quick reply needs 2 to 5 items (got {len(raw_items)})")
    items = []
    for index, raw in enumerate(raw_items):
        field = _path("items", index)
        item = {"title": raw} if isinstance(raw, str) else _mapping(p, raw, field)
        items.append(
            {
                "identifier": _identifier(item.get("id"), str(index + 1)),
                "title": _text(p, item, "title", field, max_length=256),
            }
        )
    _unique(p, [i["identifier"] for i in items], "items", "identifier")
    _unique(p, [i["title"] for i in items if i["title"]], "items", "title")
    feature = {"quick-reply": {"summaryText": summary, "items": items}}
    payload = _envelope(
        p,
        spec,
        images,
        feature=feature,
        request_identifier=request_identifier,
        default_title=summary,
    )
    p.raise_if_any()
    return payload


# --- list picker (spec §7.1) ------------------------------------------------------------


def build_list_picker(
    spec: Mapping[str, Any], *, request_identifier: str | None = None
) -> dict[str, Any]:
    """``{"received", "sections": [{"title", "multiple_selection", "items": [...]}]}``.

    Items are ``{"id"?, "title", "subtitle"?, "image"?}``; ids default to a running
    number across sections, because the reply names only the picked identifiers.
    """
    p = _Problems()
    images = _Images(p, spec)
    raw_sections = _list(p, spec.get("sections"), "sections")
    if not raw_sections:
        p.add("sections", "a list picker needs at least one section")
    sections = []
    identifiers: list[str] = []
    counter = 0
    for s_index, raw_section in enumerate(raw_sections):
        s_field = _path("sections", s_index)
        section = _mapping(p, raw_section, s_field)
        raw_items = _list(p, section.get("items"), f"{s_field}.items")
        if not raw_items:
            p.add(f"{s_field}.items", "a section needs at least one item")
        items = []
        for i_index, raw_item in enumerate(raw_items):
            counter += 1
            i_field = _path(f"{s_field}.items", i_index)
            item = _mapping(p, raw_item, i_field)
            out: dict[str, Any] = {
                "identifier": _identifier(item.get("id"), str(counter)),
                "title": _text(p, item, "title", i_field, max_length=256),
            }
            subtitle = _text(p, item, "subtitle", i_field, required=False)
            if subtitle:
                out["subtitle"] = subtitle
            image = images.ref(item.get("image"), f"{i_field}.image")
            if image:
                out["imageIdentifier"] = image
            out["order"] = i_index
            out["style"] = "default"
            identifiers.append(out["identifier"])
            items.append(out)
        sections.append(
            {
                "title": _text(p, section, "title", s_field, required=False),
                "order": s_index,
                "multipleSelection": _bool(
                    p, section, "multiple_selection", s_field, False
                ),
                "items": items,
            }
        )
    _unique(p, identifiers, "sections", "item identifier")
    payload = _envelope(
        p,
        spec,
        images,
        feature={"listPicker": {"sections": sections}},
        request_identifier=request_identifier,
        msp_version=True,
    )
    p.raise_if_any()
    return payload


# --- time picker (spec §7.2) ------------------------------------------------------------

APPLE_TIME_FORMAT = "%Y-%m-%dT%H:%M+0000"


def parse_slot_time(value: Any) -> datetime:
    """An aware UTC datetime from Apple's "YYYY-MM-DDTHH:MM+0000" or ISO 8601.

    Raises ``ValueError`` for anything else, including times without a zone.
    """
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value:
        moment = datetime.fromisoformat(value.strip())
    else:
        raise ValueError("not a time")
    if moment.tzinfo is None:
        raise ValueError("has no time zone")
    return moment.astimezone(UTC)


def build_time_picker(
    spec: Mapping[str, Any], *, request_identifier: str | None = None
) -> dict[str, Any]:
    """``{"received", "title", "slots": [{"id"?, "start", "duration"}], …}``.

    ``start`` is an aware ISO time (sent as UTC), ``duration`` seconds; optional
    ``timezone_offset`` (minutes; omitted → customer's zone), ``location``
    ``{"latitude", "longitude", "radius", "title"}`` and ``event_id``.
    """
    p = _Problems()
    images = _Images(p, spec)
    title = _text(p, spec, "title", max_length=256)
    if slot_rules.KEY in spec:
        # Not expanded by a send (which reads the business's zone): check the
        # rule and show what it would offer now.
        spec, problems = slot_rules.spec_at(
            spec, now=datetime.now(UTC), zone=_zone(spec), drop_past=False
        )
        for field, rule in problems:
            p.add(field, rule)
    raw_slots = _list(p, spec.get("slots"), "slots")
    if not raw_slots:
        p.add("slots", "a time picker needs at least one slot")
    slots: list[dict[str, Any]] = []
    for index, raw in enumerate(raw_slots):
        field = _path("slots", index)
        slot = _mapping(p, raw, field)
        start = ""
        try:
            start = parse_slot_time(slot.get("start")).strftime(APPLE_TIME_FORMAT)
        except ValueError as exc:
            p.add(
                f"{field}.start",
                f"must be a time with a zone like 2026-12-01T10:00+0000 ({exc}: "
                f"{slot.get('start')!r})",
            )
        duration = slot.get("duration")
        if isinstance(duration, bool) or not isinstance(duration, int) or duration <= 0:
            p.add(f"{field}.duration", "must be a whole number of seconds above 0")
        slots.append(
            {
                "identifier": _identifier(slot.get("id"), str(index + 1)),
                "startTime": start,
                "duration": duration,
            }
        )
    _unique(p, [s["identifier"] for s in slots], "slots", "identifier")
    _unique(p, [s["startTime"] for s in slots if s["startTime"]], "slots", "start")
    event: dict[str, Any] = {
        "identifier": _identifier(spec.get("event_id"), "1"),
        "title": title,
    }
    offset = spec.get("timezone_offset")
    if offset is not None:
        # Real zones run from UTC-12:00 to UTC+14:00.
        if isinstance(offset, bool) or not isinstance(offset, int):
            p.add("timezone_offset", "must be whole minutes")
        elif not -720 <= offset <= 840:
            p.add("timezone_offset", f"must be within -720..840 minutes (got {offset})")
        event["timezoneOffset"] = offset
    if spec.get("location") is not None:
        event["location"] = _location(p, _mapping(p, spec["location"], "location"))
    event["timeslots"] = slots
    payload = _envelope(
        p,
        spec,
        images,
        feature={"event": event},
        request_identifier=request_identifier,
        default_title=title,
        msp_version=True,
    )
    p.raise_if_any()
    return payload


def _location(p: _Problems, raw: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, low, high in (("latitude", -90, 90), ("longitude", -180, 180)):
        value = raw.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            p.add(f"location.{key}", "must be a number")
        elif not low <= value <= high:
            p.add(f"location.{key}", f"must be within {low}..{high}")
        out[key] = value
    radius = raw.get("radius", 100)
    if isinstance(radius, bool) or not isinstance(radius, int | float) or radius <= 0:
        p.add("location.radius", "must be a positive number of metres")
    out["radius"] = radius
    out["title"] = _text(p, raw, "title", "location", max_length=256)
    return out


# --- form (spec §7.8) ---------------------------------------------------------------------

FORM_PAGE_TYPES = ("select", "picker", "datePicker", "input")


def build_form(
    spec: Mapping[str, Any], *, request_identifier: str | None = None
) -> dict[str, Any]:
    """``{"received", "splash"?, "show_summary", "private", "pages": [...]}``.

    A page is ``{"id"?, "type", "title", "subtitle"?, "multiple_selection"?,
    "next"?, "submit"?, "items"?, "options"?}``; items ``{"id"?, "title",
    "value"?, "image"?, "next"?}`` (item ``next`` branches). A page without
    ``next`` submits the form. ``options`` passes input/date settings through.
    """
    p = _Problems()
    images = _Images(p, spec)
    raw_pages = _list(p, spec.get("pages"), "pages")
    if not raw_pages:
        p.add("pages", "a form needs at least one page")
    pages: list[dict[str, Any]] = []
    for index, raw in enumerate(raw_pages):
        pages.append(_form_page(p, images, _mapping(p, raw, f"pages[{index}]"), index))
    page_ids = [page["pageIdentifier"] for page in pages]
    _unique(p, page_ids, "pages", "page identifier")
    start = _identifier(spec.get("start"), page_ids[0] if page_ids else "")
    if page_ids and start not in page_ids:
        p.add("start", f"unknown page {start!r}")
    _check_form_flow(p, pages, start)

    form_data: dict[str, Any] = {}
    if spec.get("splash") is not None:
        raw_splash = _mapping(p, spec["splash"], "splash")
        splash = {
            "header": _text(p, raw_splash, "header", "splash", max_length=256),
            "buttonTitle": _text(
                p, raw_splash, "button_title", "splash", required=False
            )
            or "Start",
        }
        splashtext = _text(p, raw_splash, "text", "splash", required=False)
        if splashtext:
            splash["splashtext"] = splashtext
        image = images.ref(raw_splash.get("image"), "splash.image")
        if image:
            splash["imageIdentifier"] = image
        form_data["splash"] = splash
    form_data["startPageIdentifier"] = start
    form_data["showSummary"] = _bool(p, spec, "show_summary", "", True)
    form_data["pages"] = pages
    dynamic = {
        "template": "messageForms",
        "version": FORM_TEMPLATE_VERSION,
        "private": _bool(p, spec, "private", "", False),
        "data": form_data,
    }
    first_title = pages[0]["title"] if pages else ""
    payload = _envelope(
        p,
        spec,
        images,
        feature={"dynamic": dynamic},
        request_identifier=request_identifier,
        default_title=first_title,
    )
    p.raise_if_any()
    return payload


def _form_page(
    p: _Problems, images: _Images, raw: Mapping[str, Any], index: int
) -> dict[str, Any]:
    field = f"pages[{index}]"
    page_type = raw.get("type")
    if page_type not in FORM_PAGE_TYPES:
        p.add(
            f"{field}.type",
            f"must be one of {', '.join(FORM_PAGE_TYPES)} (got {page_type!r})",
        )
    page: dict[str, Any] = {
        "pageIdentifier": _identifier(raw.get("id"), str(index + 1)),
        "type": page_type,
        "title": _text(p, raw, "title", field, max_length=256),
    }
    subtitle = _text(p, raw, "subtitle", field, required=False)
    if subtitle:
        page["subtitle"] = subtitle
    next_page = raw.get("next")
    if next_page not in (None, ""):
        page["nextPageIdentifier"] = str(next_page)
    raw_items = _list(p, raw.get("items"), f"{field}.items")
    if page_type in ("select", "picker"):
        page["multipleSelection"] = _bool(p, raw, "multiple_selection", field, False)
        if not raw_items:
            p.add(f"{field}.items", f"a {page_type} page needs at least one item")
        items = []
        for i_index, raw_item in enumerate(raw_items):
            i_field = _path(f"{field}.items", i_index)
            item_in = _mapping(p, raw_item, i_field)
            title = _text(p, item_in, "title", i_field, max_length=256)
            item: dict[str, Any] = {
                "identifier": _identifier(item_in.get("id"), str(i_index + 1)),
                "title": title,
                "value": str(item_in.get("value", title)),
            }
            image = images.ref(item_in.get("image"), f"{i_field}.image")
            if image:
                item["imageIdentifier"] = image
            if item_in.get("next") not in (None, ""):
                item["nextPageIdentifier"] = str(item_in["next"])
            items.append(item)
        _unique(p, [i["identifier"] for i in items], f"{field}.items", "identifier")
        page["items"] = items
    elif raw_items:
        p.add(f"{field}.items", f"a {page_type} page takes options, not items")
    # A page with nowhere to go next ends the form, so it submits unless told otherwise.
    branches = any("nextPageIdentifier" in i for i in page.get("items", []))
    ends = next_page in (None, "") and not branches
    page["submitForm"] = _bool(p, raw, "submit", field, ends)
    if raw.get("options") is not None:
        options = _mapping(p, raw["options"], f"{field}.options")
        for key, value in options.items():
            if not isinstance(value, str | int | float | bool):
                p.add(f"{field}.options.{key}", "must be text, a number or a boolean")
        page["options"] = dict(options)
    return page


def _check_form_flow(p: _Problems, pages: list[dict[str, Any]], start: str) -> None:
    """Every page reachable from the start, no loops, every path ends in a submit."""
    by_id = {page["pageIdentifier"]: page for page in pages}

    def successors(page: Mapping[str, Any]) -> list[str]:
        targets = [
            item["nextPageIdentifier"]
            for item in page.get("items", [])
            if "nextPageIdentifier" in item
        ]
        if "nextPageIdentifier" in page:
            targets.append(page["nextPageIdentifier"])
        return targets

    for page in pages:
        for target in successors(page):
            if target not in by_id:
                p.add(
                    f"pages.{page['pageIdentifier']}.next",
                    f"unknown page {target!r}",
                )
        if not page["submitForm"] and not successors(page):
            p.add(
                f"pages.{page['pageIdentifier']}.submit",
                "the last page of a path must submit the form",
            )
    if start not in by_id:
        return
    # Iterative depth-first walk: a page met again on the current path is a loop.
    reached: set[str] = set()
    on_path: set[str] = set()
    stack: list[tuple[str, Iterable[str]]] = [(start, iter(successors(by_id[start])))]
    on_path.add(start)
    reached.add(start)
    while stack:
        current, children = stack[-1]
        child = next(iter(children), None)
        if child is None:
            stack.pop()
            on_path.discard(current)
            continue
        if child not in by_id:
            continue
        if child in on_path:
            p.add(f"pages.{current}.next", f"the page flow loops back to {child!r}")
            continue
        if child not in reached:
            reached.add(child)
            on_path.add(child)
            stack.append((child, iter(successors(by_id[child]))))
    for page in pages:
        if page["pageIdentifier"] not in reached:
            p.add(
                f"pages.{page['pageIdentifier']}",
                "is never reached from the start page",
            )


# --- Apple Pay (spec §7.5) ------------------------------------------------------------------

# ISO 4217 currencies without minor units that Apple Pay supports somewhere.
_ZERO_DECIMAL_CURRENCIES = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX"}
    | {"VND", "VUV", "XAF", "XOF", "XPF"}
)
CONTACT_FIELDS = ("email", "name", "phone", "postalAddress", "phoneticName")
PAYMENT_NETWORKS = frozenset(
    {"amex", "bancomat", "bancontact", "cartesBancaires", "chinaUnionPay", "dankort"}
    | {"discover", "eftpos", "electron", "elo", "girocard", "interac", "jcb", "mada"}
    | {"maestro", "masterCard", "mir", "privateLabel", "visa", "vPay"}
)
MERCHANT_CAPABILITIES = frozenset(
    {"supports3DS", "supportsCredit", "supportsDebit", "supportsEMV"}
)


def _amount(p: _Problems, value: Any, field: str, decimals: int) -> Decimal | None:
    # Floats are refused: 0.1 + 0.2 is not money.
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        p.add(field, "must be a decimal string like '12.50'")
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        p.add(field, f"must be a decimal string like '12.50' (got {value!r})")
        return None
    if not amount.is_finite():
        p.add(field, "must be a finite amount")
        return None
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > decimals:
        p.add(field, f"has more than {decimals} decimal places")
    return amount


def _money(amount: Decimal, decimals: int) -> str:
    return f"{amount:.{decimals}f}"


@overload
def _merchant(value: MerchantSettings | Mapping[str, Any]) -> MerchantSettings: ...
@overload
def _merchant(value: None) -> None: ...
def _merchant(
    value: MerchantSettings | Mapping[str, Any] | None,
) -> MerchantSettings | None:
    if value is None or isinstance(value, MerchantSettings):
        return value
    fields = MerchantSettings.__dataclass_fields__
    kwargs = {k: v for k, v in value.items() if k in fields}
    for key in ("supported_networks", "merchant_capabilities"):
        if key in kwargs:
            kwargs[key] = tuple(kwargs[key])
    kwargs.setdefault("merchant_identifier", "")
    kwargs.setdefault("merchant_name", "")
    kwargs.setdefault("country_code", "")
    kwargs.setdefault("currency_code", "")
    kwargs.setdefault("payment_gateway_url", "")
    return MerchantSettings(**kwargs)


def build_apple_pay(
    spec: Mapping[str, Any],
    *,
    merchant: MerchantSettings | Mapping[str, Any] | None,
    merchant_session: Mapping[str, Any] | None = None,
    request_identifier: str | None = None,
) -> dict[str, Any]:
    """``{"received", "line_items": [{"label", "amount", "type"?}], "total"?, …}``.

    ``total`` ``{"label"?, "amount"}`` must equal the sum of the line items (put
    shipping in a line item); omitted, it is computed and labelled with the
    merchant name. Optional ``shipping_methods`` ``[{"id", "label", "amount",
    "detail"?}]``, ``required_billing_contact_fields`` and
    ``required_shipping_contact_fields``. The merchant settings come from the
    business; ``merchant_session`` is fetched from Apple Pay at send time.
    """
    p = _Problems()
    images = _Images(p, spec)
    settings = _merchant(merchant)
    if settings is None:
        p.add("merchant", "Apple Pay needs the business's merchant settings")
        settings = _merchant({})
    if not settings.merchant_identifier:
        p.add("merchant.merchant_identifier", "is required for Apple Pay")
    if not settings.merchant_name:
        p.add("merchant.merchant_name", "is required for Apple Pay")
    if not re.fullmatch(r"[A-Z]{2}", settings.country_code):
        p.add("merchant.country_code", "must be a two-letter ISO 3166 code like 'US'")
    if not re.fullmatch(r"[A-Z]{3}", settings.currency_code):
        p.add(
            "merchant.currency_code", "must be a three-letter ISO 4217 code like 'USD'"
        )
    networks = list(settings.supported_networks)
    if not networks:
        p.add("merchant.supported_networks", "needs at least one network")
    for network in networks:
        if network not in PAYMENT_NETWORKS:
            p.add("merchant.supported_networks", f"unknown network {network!r}")
    capabilities = list(settings.merchant_capabilities)
    if "supports3DS" not in capabilities:
        p.add("merchant.merchant_capabilities", "must include supports3DS")
    for capability in capabilities:
        if capability not in MERCHANT_CAPABILITIES:
            p.add(
                "merchant.merchant_capabilities", f"unknown capability {capability!r}"
            )
    _http_url(p, settings.payment_gateway_url, "merchant.payment_gateway_url")

    decimals = 0 if settings.currency_code in _ZERO_DECIMAL_CURRENCIES else 2
    raw_items = _list(p, spec.get("line_items"), "line_items")
    if not raw_items:
        p.add("line_items", "an Apple Pay request needs at least one line item")
    line_items = []
    running = Decimal(0)
    for index, raw in enumerate(raw_items):
        field = _path("line_items", index)
        item = _mapping(p, raw, field)
        amount = _amount(p, item.get("amount"), f"{field}.amount", decimals)
        item_type = item.get("type", "final")
        if item_type not in ("final", "pending"):
            p.add(f"{field}.type", "must be final or pending")
        if amount is not None:
            running += amount
        line_items.append(
            {
                "label": _text(p, item, "label", field, max_length=256),
                "amount": _money(amount, decimals) if amount is not None else "",
                "type": item_type,
            }
        )
    raw_total = _mapping(p, spec.get("total"), "total")
    total_amount = running
    if raw_total.get("amount") is not None:
        given = _amount(p, raw_total["amount"], "total.amount", decimals)
        if given is not None and given != running:
            p.add(
                "total.amount",
                f"must equal the sum of the line items ({_money(running, decimals)}, "
                f"got {_money(given, decimals)})",
            )
        total_amount = given if given is not None else running
    if raw_items and total_amount <= 0:
        p.add("total.amount", "must be above zero")
    total = {
        "label": str(raw_total.get("label") or settings.merchant_name),
        "amount": _money(total_amount, decimals),
        "type": "final",
    }

    request: dict[str, Any] = {
        "lineItems": line_items,
        "total": total,
        "applePay": {
            "merchantIdentifier": settings.merchant_identifier,
            "supportedNetworks": networks,
            "merchantCapabilities": capabilities,
        },
        "merchantName": settings.merchant_name,
        "countryCode": settings.country_code,
        "currencyCode": settings.currency_code,
    }
    for key, apple_key in (
        ("required_billing_contact_fields", "requiredBillingContactFields"),
        ("required_shipping_contact_fields", "requiredShippingContactFields"),
    ):
        values = [str(v) for v in _list(p, spec.get(key), key)]
        for value in values:
            if value not in CONTACT_FIELDS:
                p.add(key, f"unknown contact field {value!r}")
        request[apple_key] = values
    methods = []
    for index, raw in enumerate(
        _list(p, spec.get("shipping_methods"), "shipping_methods")
    ):
        field = _path("shipping_methods", index)
        method_in = _mapping(p, raw, field)
        amount = _amount(p, method_in.get("amount"), f"{field}.amount", decimals)
        methods.append(
            {
                "identifier": _identifier(method_in.get("id"), str(index + 1)),
                "label": _text(p, method_in, "label", field, max_length=256),
                "detail": _text(p, method_in, "detail", field, required=False),
                "amount": _money(amount, decimals) if amount is not None else "",
            }
        )
    _unique(p, [m["identifier"] for m in methods], "shipping_methods", "identifier")
    request["shippingMethods"] = methods

    endpoints = {"paymentGatewayUrl": settings.payment_gateway_url}
    for attr, apple_key in (
        ("fallback_url", "fallbackUrl"),
        ("order_tracking_url", "orderTrackingUrl"),
        ("payment_method_update_url", "paymentMethodUpdateUrl"),
        ("shipping_contact_update_url", "shippingContactUpdateUrl"),
        ("shipping_method_update_url", "shippingMethodUpdateUrl"),
    ):
        value = getattr(settings, attr)
        if value:
            endpoints[apple_key] = _http_url(p, value, f"merchant.{attr}")
    payment: dict[str, Any] = {"paymentRequest": request}
    if merchant_session is not None:
        payment["merchantSession"] = dict(merchant_session)
    payment["endpoints"] = endpoints
    payload = _envelope(
        p,
        spec,
        images,
        feature={"payment": payment},
        request_identifier=request_identifier,
        default_title=f"{settings.merchant_name} {total['amount']} {settings.currency_code}".strip(),
    )
    p.raise_if_any()
    return payload


# --- authentication (spec §7.6) -----------------------------------------------------------------


DEFAULT_SIGNIN_REPLY = "You signed in"


def build_authentication(
    spec: Mapping[str, Any],
    *,
    state: str | None,
    legacy: bool = False,
    response_encryption_key: str | None = None,
    redirect_uri: str | None = None,
    request_identifier: str | None = None,
) -> dict[str, Any]:
    """``{"received", "scope": [...], "response_type"?, "redirect_uri"?}`` → AUTH2/AUTH.

    ``state`` is the nonce kept to match the reply; the legacy ``AUTH`` flow also
    needs ``response_encryption_key`` (Base64 P-384 public key). Goes to
    ``/authenticate``, not ``/message``.
    """
    p = _Problems()
    images = _Images(p, spec)
    if not state:
        p.add("state", "an authentication request needs a state nonce")
    response_type = spec.get("response_type") or "code"
    if response_type != "code":
        p.add("response_type", f"must be 'code' (got {response_type!r})")
    scope = [str(s) for s in _list(p, spec.get("scope"), "scope")]
    if not scope:
        p.add("scope", "needs at least one scope")
    for value in scope:
        if not value or " " in value:
            p.add("scope", f"scope values are single words (got {value!r})")
    redirect = redirect_uri or str(spec.get("redirect_uri") or "")
    _http_url(p, redirect, "redirect_uri")
    oauth2: dict[str, Any] = {
        "responseType": response_type,
        "scope": scope,
        "state": state or "",
        "redirectURI": redirect,
    }
    if legacy:
        if not response_encryption_key:
            p.add(
                "response_encryption_key",
                "the old AUTH flow needs a Base64 P-384 public key",
            )
        else:
            _base64_bytes(p, response_encryption_key, "response_encryption_key")
        oauth2["responseEncryptionKey"] = response_encryption_key or ""
    if not spec.get("reply"):
        # Apple's samples show this bubble once the customer has signed in;
        # without it the conversation shows nothing (editable as "reply").
        spec = {**spec, "reply": {"title": DEFAULT_SIGNIN_REPLY}}
    payload = _envelope(
        p,
        spec,
        images,
        feature={"authenticate": {"oauth2": oauth2}},
        request_identifier=request_identifier,
        default_title="Sign in",
    )
    p.raise_if_any()
    return payload


# --- iMessage app (spec §7.7) -----------------------------------------------------------------


def build_imessage_app(
    spec: Mapping[str, Any], *, request_identifier: str | None = None
) -> dict[str, Any]:
    """``{"team_id", "extension_bundle_id", "app_id", "app_name", "url", "received", …}``.

    ``url`` is a query string ("?k=v&…") or a mapping encoded as one, at most
    64 kB. Optional ``app_icon`` (base64), ``use_live_layout`` (default true) and
    ``session_identifier``. Apple ignores ``data`` here; it still carries the
    request identifier so replies correlate the same way as every other kind.
    """
    p = _Problems()
    images = _Images(p, spec)
    team_id = _text(p, spec, "team_id", max_length=10)
    if team_id and not re.fullmatch(r"[A-Z0-9]{10}", team_id):
        p.add("team_id", "must be a 10-character Apple team id")
    bundle = _text(p, spec, "extension_bundle_id", max_length=255)
    if bundle and not re.fullmatch(r"[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+", bundle):
        p.add("extension_bundle_id", "must be a reverse-DNS bundle id")
    raw_url = spec.get("url")
    if isinstance(raw_url, Mapping):
        url = "?" + urlencode({str(k): str(v) for k, v in raw_url.items()})
    elif isinstance(raw_url, str) and raw_url:
        url = raw_url
    else:
        url = ""
        p.add("url", "is required (a query string like '?k=v')")
    size = len(url.encode())
    if size > IMESSAGE_URL_MAX_BYTES:
        p.add("url", f"must be at most 64 kB (got {size} bytes)")
    payload = _envelope(
        p,
        spec,
        images,
        feature={},
        request_identifier=request_identifier,
        default_title=str(spec.get("app_name") or ""),
    )
    payload["bid"] = f"{IMESSAGE_BID_PREFIX}:{team_id}:{bundle}"
    payload["appId"] = _text(p, spec, "app_id", max_length=64)
    payload["appName"] = _text(p, spec, "app_name", max_length=256)
    icon = spec.get("app_icon")
    if icon and _base64_bytes(p, icon, "app_icon") is not None:
        payload["appIcon"] = icon
    payload["URL"] = url
    payload["useLiveLayout"] = _bool(p, spec, "use_live_layout", "", True)
    p.raise_if_any()
    return payload


# --- rich link (spec §7.4) --------------------------------------------------------------------


def build_rich_link(spec: Mapping[str, Any]) -> dict[str, Any]:
    """``{"url", "title"?, "image"? {"data", "mime_type"}, "video"? {"url", "mime_type"}}``.

    Returns ``richLinkData`` for a ``type: "richLink"`` message (not interactive).
    The title defaults to the host name. Without an image, delivery completes
    ``assets`` as Apple requires (the page's icon, else the business's logo, else
    a generated image: ``conversations.rich_links.given_link_with_assets``); a
    builder reads no pages.
    """
    p = _Problems()
    url = _http_url(p, _text(p, spec, "url", max_length=2048), "url")
    title = _text(p, spec, "title", required=False, max_length=512)
    if not title and url:
        title = urlsplit(url).hostname or url
    link: dict[str, Any] = {"url": url, "title": title}
    assets: dict[str, Any] = {}
    if isinstance(spec.get("image"), str) and spec["image"]:
        # A named image of the spec (the studio's library images).
        assets["image"] = _rich_link_named_image(p, spec, spec["image"])
    elif spec.get("image") is not None:
        raw = _mapping(p, spec["image"], "image")
        data = _base64_bytes(p, raw.get("data"), "image.data")
        if data is not None and len(data) > RICH_LINK_IMAGE_MAX_BYTES:
            p.add("image.data", f"must be at most 200 kB (got {len(data) // 1024} kB)")
        mime = _text(p, raw, "mime_type", "image")
        if mime and not mime.startswith("image/"):
            p.add("image.mime_type", f"must be an image type (got {mime!r})")
        assets["image"] = {"data": raw.get("data", ""), "mimeType": mime}
    if spec.get("video") is not None:
        raw = _mapping(p, spec["video"], "video")
        video_url = _http_url(p, _text(p, raw, "url", "video"), "video.url")
        mime = _text(p, raw, "mime_type", "video")
        if mime and not mime.startswith("video/"):
            p.add("video.mime_type", f"must be a video type (got {mime!r})")
        assets["video"] = {"url": video_url, "mimeType": mime}
    if assets:
        link["assets"] = assets
    p.raise_if_any()
    return link


_IMAGE_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF8", "image/gif"),
)


def _rich_link_named_image(
    p: _Problems, spec: Mapping[str, Any], name: str
) -> dict[str, str]:
    images = found if isinstance(found := spec.get("images"), Mapping) else {}
    data = images.get(name)
    if not isinstance(data, str):
        p.add("image", f"names no image of this object ({name!r})")
        return {"data": "", "mimeType": ""}
    raw = _base64_bytes(p, data, f"images.{name}")
    if raw is not None and len(raw) > RICH_LINK_IMAGE_MAX_BYTES:
        p.add("image", f"must be at most 200 kB (got {len(raw) // 1024} kB)")
    mime = next((m for magic, m in _IMAGE_MAGIC if (raw or b"").startswith(magic)), "")
    if raw is not None and not mime:
        p.add("image", "must be a PNG, JPEG or GIF image")
    return {"data": data, "mimeType": mime}


# --- dispatch ------------------------------------------------------------------------------


def build(
    kind: str,
    spec: Mapping[str, Any],
    *,
    request_identifier: str | None = None,
    merchant: MerchantSettings | Mapping[str, Any] | None = None,
    merchant_session: Mapping[str, Any] | None = None,
    state: str | None = None,
    response_encryption_key: str | None = None,
    redirect_uri: str | None = None,
) -> dict[str, Any]:
    """The payload for ``kind``: ``interactiveData``, or ``richLinkData`` for rich links.

    Send-time inputs (merchant settings, OAuth state and key) are ignored by the
    kinds that do not need them.
    """
    if not isinstance(spec, Mapping):
        raise BuildErrors([BuildError("spec", "must be an object")])
    match _kind(kind):
        case Kind.QUICK_REPLY:
            return build_quick_reply(spec, request_identifier=request_identifier)
        case Kind.LIST_PICKER:
            return build_list_picker(spec, request_identifier=request_identifier)
        case Kind.TIME_PICKER:
            return build_time_picker(spec, request_identifier=request_identifier)
        case Kind.FORM:
            return build_form(spec, request_identifier=request_identifier)
        case Kind.APPLE_PAY:
            return build_apple_pay(
                spec,
                merchant=merchant,
                merchant_session=merchant_session,
                request_identifier=request_identifier,
            )
        case Kind.AUTHENTICATION | Kind.AUTHENTICATION_LEGACY:
            return build_authentication(
                spec,
                state=state,
                legacy=_kind(kind) is Kind.AUTHENTICATION_LEGACY,
                response_encryption_key=response_encryption_key,
                redirect_uri=redirect_uri,
                request_identifier=request_identifier,
            )
        case Kind.IMESSAGE_APP:
            return build_imessage_app(spec, request_identifier=request_identifier)
        case Kind.RICH_LINK:
            return build_rich_link(spec)
    raise AssertionError(kind)  # pragma: no cover - _kind() covers every member


def validate_spec(kind: str, spec: Mapping[str, Any]) -> dict[str, Any]:
    """Build a stored spec with stand-ins for the inputs that only exist at send time.

    Returns the preview payload; raises ``BuildErrors`` when the spec breaks a rule.
    Placeholders are left as written, so a URL must start with a literal scheme.
    """
    return build(
        kind,
        spec,
        merchant=STAND_IN_MERCHANT,
        state=_STAND_IN_STATE,
        # Sends use the redirect URI of the business's OAuth provider.
        redirect_uri=_STAND_IN_REDIRECT_URI,
        response_encryption_key=_STAND_IN_ENCRYPTION_KEY,
        request_identifier=str(uuid.UUID(int=0)),
    )


def _kind(kind: str) -> Kind:
    try:
        return Kind(kind)
    except ValueError:
        raise BuildErrors(
            [BuildError("kind", f"unknown rich object kind {kind!r}")]
        ) from None


# --- device capabilities (spec §5) ------------------------------------------------------------

_CAPABILITY = {
    Kind.QUICK_REPLY: "QUICK",
    Kind.LIST_PICKER: "LIST",
    Kind.TIME_PICKER: "TIME",
    Kind.FORM: "FORM",
    Kind.AUTHENTICATION: "AUTH2",
    Kind.AUTHENTICATION_LEGACY: "AUTH",
    Kind.APPLE_PAY: None,
    Kind.IMESSAGE_APP: None,
    Kind.RICH_LINK: None,
}
_IPHONE_IPAD_ONLY = frozenset({Kind.FORM, Kind.IMESSAGE_APP})


def required_capability(kind: str) -> str | None:
    """The ``capability-list`` entry a device must report to show ``kind``."""
    return _CAPABILITY[_kind(kind)]


def device_supports(kind: str, capabilities: Iterable[str], device_agent: str) -> bool:
    """Whether a device with these capabilities and agent can show ``kind``.

    Forms and iMessage apps need iPhone/iPad ("iPhone OS"; iPads report that
    too). An unknown agent counts as unsupported: the text alternative is
    always safe to send, a bubble the device cannot draw is not.
    """
    resolved = _kind(kind)
    if resolved in _IPHONE_IPAD_ONLY:
        agent = (device_agent or "").lower()
        if "iphone" not in agent and "ipad" not in agent:
            return False
    needed = _CAPABILITY[resolved]
    if needed is None:
        return True
    return needed in {c.strip().upper() for c in capabilities}


# --- plain-text alternative (spec §5) ----------------------------------------------------------


def text_alternative(
    kind: str, spec: Mapping[str, Any], *, zone: tzinfo | None = None
) -> str:
    """What to send when the device cannot show ``kind``: its content, numbered.

    ``zone`` is the business's: time-picker slots are listed in it unless the
    picker names its own offset (UTC when neither is known).
    """
    resolved = _kind(kind)
    spec = spec if isinstance(spec, Mapping) else {}
    received = found if isinstance(found := spec.get("received"), Mapping) else {}
    heading = str(received.get("title") or "").strip()
    link = str(spec.get("fallback_url") or "").strip()
    if resolved is Kind.TIME_PICKER:
        return _text_time_picker(spec, heading, link, zone or UTC).strip()
    writer = _TEXT_WRITERS[resolved]
    return writer(spec, heading, link).strip()


def _numbered(titles: list[str]) -> list[str]:
    return [f"{n}. {title}" for n, title in enumerate(titles, start=1)]


def _text_quick_reply(spec: Mapping[str, Any], heading: str, link: str) -> str:
    items = spec.get("items") or []
    titles = [i if isinstance(i, str) else str(i.get("title", "")) for i in items]
    lines = [str(spec.get("summary") or heading), *_numbered(titles)]
    lines.append("Reply with a number.")
    return "\n".join(lines)


def _text_list_picker(spec: Mapping[str, Any], heading: str, link: str) -> str:
    lines = [heading or "Please choose:"]
    number = 0
    multiple = False
    for section in spec.get("sections") or []:
        multiple = multiple or bool(section.get("multiple_selection"))
        if section.get("title"):
            lines.append(f"{section['title']}:")
        for item in section.get("items") or []:
            number += 1
            line = f"{number}. {item.get('title', '')}"
            if item.get("subtitle"):
                line += f" ({item['subtitle']})"
            lines.append(line)
    lines.append(
        "Reply with one or more numbers." if multiple else "Reply with a number."
    )
    return "\n".join(lines)


def _zone(spec: Mapping[str, Any], default: tzinfo = UTC) -> tzinfo:
    """The zone a time picker shows its slots in: its own offset, else ``default``."""
    offset = spec.get("timezone_offset")
    if (
        isinstance(offset, int)
        and not isinstance(offset, bool)
        and -720 <= offset <= 840
    ):
        return timezone(timedelta(minutes=offset))
    return default


def _text_time_picker(
    spec: Mapping[str, Any], heading: str, link: str, zone: tzinfo = UTC
) -> str:
    zone = _zone(spec, zone)
    lines = [str(spec.get("title") or heading or "Please choose a time:")]
    location = spec.get("location")
    if isinstance(location, Mapping) and location.get("title"):
        lines.append(f"Where: {location['title']}")
    slots = found if isinstance(found := spec.get("slots"), list) else []
    for number, slot in enumerate(slots, start=1):
        slot = slot if isinstance(slot, Mapping) else {}
        lines.append(
            f"{number}. {_slot_label(slot.get('start'), slot.get('duration'), zone)}"
        )
    if slot_rules.KEY in spec:
        # Stored before a send picks the dates: the rule, in words.
        lines.append(slot_rules.describe(spec[slot_rules.KEY]))
    lines.append("Reply with a number.")
    return "\n".join(lines)


def slot_label(start: Any, duration: Any, zone: tzinfo | int | None = None) -> str:
    """ "Tue 1 Dec 2026, 10:00-10:30 UTC" for a slot, in ``zone`` (or an offset in
    minutes) if any."""
    if isinstance(zone, int):
        zone = timezone(timedelta(minutes=zone))
    return _slot_label(start, duration, zone or UTC)


def _slot_label(start: Any, duration: Any, zone: tzinfo) -> str:
    try:
        begin = parse_slot_time(start).astimezone(zone)
    except ValueError:
        return str(start)
    label = f"{begin:%a} {begin.day} {begin:%b %Y, %H:%M}"
    if isinstance(duration, int) and not isinstance(duration, bool) and duration > 0:
        end = (begin.astimezone(UTC) + timedelta(seconds=duration)).astimezone(zone)
        label += f"-{end:%H:%M}"
    zone_name = begin.tzname() or "UTC"
    return f"{label} {'UTC' if zone_name in ('UTC', 'UTC+00:00') else zone_name}"


_FORM_PAGE_HINTS = {
    "select": "choose one",
    "picker": "choose one",
    "datePicker": "a date",
    "input": "",
}


def _text_form(spec: Mapping[str, Any], heading: str, link: str) -> str:
    """Each page's question, its choices numbered under it, in page order."""
    splash = found if isinstance(found := spec.get("splash"), Mapping) else {}
    lines = [heading or "A few questions"]
    for extra in (splash.get("header"), splash.get("text")):
        if extra and str(extra).strip() not in lines:
            lines.append(str(extra).strip())
    pages = found if isinstance(found := spec.get("pages"), list) else []
    for number, page in enumerate(pages, start=1):
        page = page if isinstance(page, Mapping) else {}
        kind = str(page.get("type") or "")
        hint = _FORM_PAGE_HINTS.get(kind, "")
        if hint == "choose one" and page.get("multiple_selection"):
            hint = "choose one or more"
        title = str(page.get("title") or page.get("subtitle") or "").strip()
        lines.append(f"{number}. {title}{f' ({hint})' if hint else ''}")
        items = listed if isinstance(listed := page.get("items"), list) else []
        for choice, item in enumerate(items, start=1):
            label = item.get("title", "") if isinstance(item, Mapping) else item
            lines.append(f"   {number}.{choice} {label}")
    lines.append(
        "Reply with your answers, one per line (a choice by its number)."
        if pages
        else "Reply here and we will help you."
    )
    if link:
        lines.append(f"Or fill in the form: {link}")
    return "\n".join(lines)


def _text_link(default: str) -> Callable[[Mapping[str, Any], str, str], str]:
    def write(spec: Mapping[str, Any], heading: str, link: str) -> str:
        text = heading or default
        if link:
            return f"{text}: {link}"
        return f"{text}. Reply here and we will help you."

    return write


def _text_rich_link(spec: Mapping[str, Any], heading: str, link: str) -> str:
    url = str(spec.get("url") or "")
    title = str(spec.get("title") or "")
    return f"{title}\n{url}" if title and title != url else url


_TEXT_WRITERS: dict[Kind, Callable[[Mapping[str, Any], str, str], str]] = {
    Kind.QUICK_REPLY: _text_quick_reply,
    Kind.LIST_PICKER: _text_list_picker,
    Kind.TIME_PICKER: _text_time_picker,
    Kind.FORM: _text_form,
    Kind.APPLE_PAY: _text_link("Pay securely"),
    Kind.AUTHENTICATION: _text_link("Please sign in"),
    Kind.AUTHENTICATION_LEGACY: _text_link("Please sign in"),
    Kind.IMESSAGE_APP: _text_link("Open our app"),
    Kind.RICH_LINK: _text_rich_link,
}


# --- placeholders -------------------------------------------------------------------------

# ``{{customer.name}}``, or with a fallback for when the value is unknown:
# ``{{customer.name|there}}`` (the fallback may be empty: ``{{customer.name|}}``).
PLACEHOLDER = re.compile(
    r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)\s*(?:\|([^{}]*))?\}\}"
)


def placeholders_in(spec: Any) -> list[str]:
    """Every ``{{name}}`` used in the spec's strings, in first-use order."""
    found: list[str] = []

    def visit(value: Any) -> None:
        if isinstance(value, str):
            for match in PLACEHOLDER.finditer(value):
                if match.group(1) not in found:
                    found.append(match.group(1))
        elif isinstance(value, Mapping):
            for item in value.values():
                visit(item)
        elif isinstance(value, list | tuple):
            for item in value:
                visit(item)

    visit(spec)
    return found


def required_placeholders_in(spec: Any) -> list[str]:
    """The placeholders used somewhere without a fallback: a send needs their values."""
    required: list[str] = []

    def visit(value: Any) -> None:
        if isinstance(value, str):
            for match in PLACEHOLDER.finditer(value):
                if match.group(2) is None and match.group(1) not in required:
                    required.append(match.group(1))
        elif isinstance(value, Mapping):
            for item in value.values():
                visit(item)
        elif isinstance(value, list | tuple):
            for item in value:
                visit(item)

    visit(spec)
    return required


def _lookup(params: Mapping[str, Any], name: str) -> Any:
    # A flat "customer.name" key wins over walking nested mappings.
    if name in params:
        return params[name]
    value: Any = params
    for part in name.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def placeholder_value(params: Mapping[str, Any], name: str) -> Any:
    """What ``{{name}}`` would be filled with (None when nothing)."""
    return _lookup(params, name)


def render_placeholders(spec: Any, params: Mapping[str, Any]) -> Any:
    """A copy of ``spec`` with every ``{{name}}`` in its strings filled from ``params``.

    ``params`` may be nested (``{"customer": {"name": …}}``) or flat
    (``{"customer.name": …}``). A missing or blank value takes the placeholder's
    fallback (``{{customer.name|there}}``); without one it raises ``BuildErrors``
    naming the placeholder and where it is used: a blank in front of the
    customer is worse than an error in front of the agent.
    """
    p = _Problems()

    def fill(value: Any, field: str) -> Any:
        if isinstance(value, str):

            def replace(match: re.Match[str]) -> str:
                found = _lookup(params, match.group(1))
                if found is None or (isinstance(found, str) and not found.strip()):
                    if match.group(2) is not None:
                        return match.group(2).strip()
                    p.add(
                        field or "spec",
                        f"placeholder {{{{{match.group(1)}}}}} has no value",
                    )
                    return match.group(0)
                return str(found)

            return PLACEHOLDER.sub(replace, value)
        if isinstance(value, Mapping):
            return {k: fill(v, _path(field, str(k))) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [fill(v, _path(field, i)) for i, v in enumerate(value)]
        return value

    rendered = fill(spec, "")
    p.raise_if_any()
    return rendered
