"""Checks the simulated gateway applies to what the platform sends, as Apple would (spec §2, §4 to §8).

Written independently of ``conversations.apple`` on purpose: a second reading of
the spec catches the platform's mistakes instead of repeating them. Everything
here is pure; the views do the I/O. Every failure is a ``GatewayError`` whose
message names the field and what is wrong with it, because these messages are
how bot developers find their mistakes.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
import re
import time
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeGuard
from urllib.parse import urlsplit

import jwt

MAX_TOKEN_AGE_SECONDS = 3600
FUTURE_SKEW_SECONDS = 60
MAX_RICH_LINK_IMAGE_BYTES = 200 * 1024
MAX_APP_URL_BYTES = 64 * 1024
MAX_ATTACHMENT_BYTES = 100 * 1024 * 1024
MAX_MSP_AGENT_LENGTH = 64
BUSINESS_EXTENSION_BID = (
    "com.apple.messages.MSMessageExtensionBalloonPlugin:0000000000:"
    "com.apple.icloud.apps.messages.business.extension"
)
APP_BID_PREFIX = "com.apple.messages.MSMessageExtensionBalloonPlugin:"
MESSAGE_TYPES = ("text", "typing_start", "typing_end", "richLink", "interactive")
FEATURES = ("listPicker", "event", "quick-reply", "payment", "authenticate", "dynamic")
FORM_PAGE_TYPES = ("select", "picker", "datePicker", "input")
BUBBLE_STYLES = ("icon", "small", "large")
_TIMESLOT_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?[+-]\d{4}$")


class GatewayError(Exception):
    """A refusal with Apple's status code and a message saying what is wrong."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def bad(message: str) -> GatewayError:
    return GatewayError(400, message)


# Authorization (spec §2) ------------------------------------------------------


def decode_secret(secret: str) -> bytes:
    return base64.b64decode(secret + "=" * (-len(secret) % 4))


def verify_authorization(
    header_value: str | None, *, msp_id: str, secrets: list[str]
) -> dict[str, Any]:
    """Verify the platform's ``Authorization: Bearer`` JWT; return its claims."""
    if not header_value or not header_value.strip():
        raise GatewayError(401, "Authorization header is missing")
    scheme, _, token = header_value.strip().partition(" ")
    if scheme != "Bearer" or not token.strip():
        raise GatewayError(401, "Authorization must be 'Bearer <JWT>'")
    token = token.strip()
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise GatewayError(403, f"Authorization token is not a JWT: {exc}") from exc
    alg = header.get("alg")
    if alg != "HS256":
        raise GatewayError(403, f"JWT alg must be HS256, not {alg!r}")
    claims: dict[str, Any] | None = None
    for secret in secrets:
        try:
            claims = jwt.decode(
                token,
                decode_secret(secret),
                algorithms=["HS256"],
                options={"verify_aud": False, "verify_iat": False, "require": []},
            )
            break
        except jwt.InvalidSignatureError:
            continue
        except jwt.ExpiredSignatureError as exc:
            raise GatewayError(403, "JWT has expired (exp is in the past)") from exc
        except jwt.PyJWTError as exc:
            raise GatewayError(403, f"JWT is invalid: {exc}") from exc
    if claims is None:
        raise GatewayError(403, _signature_hint(token, secrets))
    if "iss" not in claims:
        raise GatewayError(403, "JWT has no iss claim (it must be the MSP ID)")
    if claims["iss"] != msp_id:
        raise GatewayError(
            403, f"JWT iss {claims['iss']!r} is not this MSP ID {msp_id!r}"
        )
    iat = claims.get("iat")
    if iat is None:
        raise GatewayError(403, "JWT has no iat claim")
    if isinstance(iat, bool) or not isinstance(iat, int | float):
        raise GatewayError(403, "JWT iat must be a number of seconds since the epoch")
    now = time.time()
    if now - iat > MAX_TOKEN_AGE_SECONDS:
        raise GatewayError(
            403, f"JWT iat is {int(now - iat)} s old; tokens live one hour"
        )
    if iat - now > FUTURE_SKEW_SECONDS:
        raise GatewayError(403, "JWT iat is in the future")
    return claims


def _signature_hint(token: str, secrets: list[str]) -> str:
    # The classic mistake is signing with the Base64 text instead of its bytes.
    for secret in secrets:
        try:
            jwt.decode(
                token,
                secret.encode(),
                algorithms=["HS256"],
                options={
                    "verify_signature": True,
                    "verify_aud": False,
                    "verify_iat": False,
                },
            )
        except jwt.PyJWTError:
            continue
        return "JWT signature is wrong: it was signed with the Base64 text of the secret, sign with the decoded bytes"
    return "JWT signature does not verify with the MSP secret"


# Headers and envelope (spec §4) -----------------------------------------------


def require_header(headers: Mapping[str, str], *names: str) -> str:
    """The first present header among ``names`` (current spelling first)."""
    for name in names:
        value = headers.get(name)
        if value is not None and value.strip():
            return value.strip()
    raise bad(f"{names[0]} header is missing")


def check_message_headers(headers: Mapping[str, str]) -> tuple[str, str, str]:
    """Return (id, Source-Id, Destination-Id) after checking the optional headers too."""
    message_id = require_header(headers, "id")
    source_id = require_header(headers, "Source-Id")
    destination_id = require_header(headers, "Destination-Id")
    try:
        uuid.UUID(message_id)
    except ValueError as exc:
        raise bad(f"id header {message_id!r} is not a UUID") from exc
    content_type = headers.get("Content-Type", "")
    if content_type.split(";")[0].strip().lower() != "application/json":
        raise bad(f"Content-Type must be application/json, not {content_type!r}")
    agent = headers.get("msp-agent")
    if agent is not None and len(agent) > MAX_MSP_AGENT_LENGTH:
        raise bad(f"msp-agent header is longer than {MAX_MSP_AGENT_LENGTH} characters")
    auto_reply = headers.get("auto-reply")
    if auto_reply is not None and auto_reply.lower() not in ("true", "false"):
        raise bad("auto-reply header must be 'true' or 'false'")
    return message_id, source_id, destination_id


def parse_json_body(headers: Mapping[str, str], raw: bytes) -> dict[str, Any]:
    if headers.get("Content-Encoding", "").lower() == "gzip" or raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise bad("body says gzip but does not gunzip") from exc
    if not raw:
        raise bad("body is empty; a JSON message envelope is required")
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise bad(f"body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise bad("body must be a JSON object")
    return body


def check_envelope(
    body: dict[str, Any], *, message_id: str, source_id: str, destination_id: str
) -> str:
    """Check the fields every message has; return its type."""
    if "v" not in body:
        raise bad("v is missing; it must be 1")
    if body["v"] != 1 or isinstance(body["v"], bool):
        raise bad(f"v must be the number 1, not {body['v']!r}")
    for field, expected, header in (
        ("id", message_id, "id"),
        ("sourceId", source_id, "Source-Id"),
        ("destinationId", destination_id, "Destination-Id"),
    ):
        if field not in body:
            raise bad(f"{field} is missing from the body")
        if body[field] != expected:
            raise bad(
                f"{field} {body[field]!r} does not match the {header} header {expected!r}"
            )
    kind = body.get("type")
    if kind is None:
        raise bad("type is missing")
    if kind == "close":
        raise bad("type 'close' is sent only by customers, never by a business")
    if kind not in MESSAGE_TYPES:
        raise bad(
            f"type {kind!r} is unknown; expected one of {', '.join(MESSAGE_TYPES)}"
        )
    return kind


# Per type ---------------------------------------------------------------------


def check_text(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Check a text message; return its attachment descriptors for the view to resolve."""
    text = body.get("body")
    attachments = body.get("attachments")
    if attachments is not None:
        if not isinstance(attachments, list) or not attachments:
            raise bad("attachments must be a non-empty list when present")
        for index, item in enumerate(attachments):
            check_attachment(item, f"attachments[{index}]")
    if text is None and not attachments:
        raise bad("body is missing; a text message needs text")
    if text is not None and not isinstance(text, str):
        raise bad("body must be a string")
    if not attachments and not (text or "").strip():
        raise bad("body is empty; a text message without attachments needs text")
    return list(attachments or [])


def check_attachment(item: Any, path: str) -> None:
    if not isinstance(item, dict):
        raise bad(f"{path} must be an object")
    for field in (
        "name",
        "mimeType",
        "size",
        "url",
        "owner",
        "key",
        "signature-base64",
    ):
        value = item.get(field)
        if not isinstance(value, str) or not value:
            raise bad(f"{path}.{field} must be a non-empty string")
    if not item["size"].isdigit() or not 0 < int(item["size"]) <= MAX_ATTACHMENT_BYTES:
        raise bad(
            f"{path}.size must be the encrypted size in bytes, 1 to 100 MB, as a string"
        )
    if "/" not in item["mimeType"]:
        raise bad(f"{path}.mimeType {item['mimeType']!r} is not a MIME type")
    key = item["key"]
    if len(key) != 66 or not key.startswith("00") or not _is_hex(key):
        raise bad(f"{path}.key must be '00' followed by 64 hex digits (66 characters)")
    try:
        base64.b64decode(item["signature-base64"], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise bad(f"{path}.signature-base64 is not Base64") from exc


def check_typing(body: dict[str, Any]) -> None:
    if body.get("body"):
        raise bad(f"{body['type']} carries no body")


def check_rich_link(body: dict[str, Any]) -> None:
    data = body.get("richLinkData")
    if not isinstance(data, dict):
        raise bad("richLinkData must be an object")
    _http_url(data.get("url"), "richLinkData.url")
    if not isinstance(data.get("title"), str) or not data["title"].strip():
        raise bad("richLinkData.title must be a non-empty string")
    assets = data.get("assets")
    if assets is None:
        return
    if not isinstance(assets, dict):
        raise bad("richLinkData.assets must be an object")
    image = assets.get("image")
    if image is not None:
        if not isinstance(image, dict):
            raise bad("richLinkData.assets.image must be an object")
        raw = _base64(image.get("data"), "richLinkData.assets.image.data")
        if len(raw) > MAX_RICH_LINK_IMAGE_BYTES:
            raise bad(
                f"richLinkData.assets.image.data is {len(raw)} bytes; the limit is 200 kB"
            )
        mime = image.get("mimeType")
        if not isinstance(mime, str) or not mime.startswith("image/"):
            raise bad("richLinkData.assets.image.mimeType must be an image/* type")
    video = assets.get("video")
    if video is not None:
        if not isinstance(video, dict):
            raise bad("richLinkData.assets.video must be an object")
        _http_url(video.get("url"), "richLinkData.assets.video.url")
        mime = video.get("mimeType")
        if not isinstance(mime, str) or not mime.startswith("video/"):
            raise bad("richLinkData.assets.video.mimeType must be a video/* type")


def check_interactive(body: dict[str, Any], *, endpoint: str) -> str:
    """Check an interactive message; return its feature (or 'app' / 'dataRef')."""
    if "interactiveDataRef" in body and "interactiveData" not in body:
        ref = body["interactiveDataRef"]
        if not isinstance(ref, dict):
            raise bad("interactiveDataRef must be an object")
        for field in ("bid", "url", "owner", "key", "size"):
            if not isinstance(ref.get(field), str) or not ref[field]:
                raise bad(f"interactiveDataRef.{field} must be a non-empty string")
        if not (ref.get("signature-base64") or ref.get("signature")):
            raise bad("interactiveDataRef needs signature-base64 (or signature)")
        return "dataRef"
    data = body.get("interactiveData")
    if not isinstance(data, dict):
        raise bad("interactiveData must be an object")
    bid = data.get("bid")
    if not isinstance(bid, str) or not bid.startswith(APP_BID_PREFIX):
        raise bad(f"interactiveData.bid must start with {APP_BID_PREFIX!r}")
    _bubble(
        data.get("receivedMessage"), "interactiveData.receivedMessage", required=True
    )
    _bubble(data.get("replyMessage"), "interactiveData.replyMessage", required=False)
    if bid != BUSINESS_EXTENSION_BID:
        if endpoint == "authenticate":
            raise bad("/authenticate takes only authentication requests")
        _check_app(data)
        return "app"
    inner = data.get("data")
    if not isinstance(inner, dict):
        raise bad("interactiveData.data must be an object")
    if not isinstance(inner.get("version"), str) or not inner["version"]:
        raise bad("interactiveData.data.version is required (e.g. '1.0')")
    if (
        not isinstance(inner.get("requestIdentifier"), str)
        or not inner["requestIdentifier"]
    ):
        raise bad("interactiveData.data.requestIdentifier is required (a UUID)")
    images = _images(inner.get("images"))
    present = [feature for feature in FEATURES if feature in inner]
    if not present:
        raise bad(
            f"interactiveData.data names no feature; expected one of {', '.join(FEATURES)}"
        )
    if len(present) > 1:
        raise bad(f"interactiveData.data names several features: {', '.join(present)}")
    feature = present[0]
    if feature == "authenticate" and endpoint != "authenticate":
        raise bad("authentication requests go to /authenticate, not /message")
    if feature != "authenticate" and endpoint == "authenticate":
        raise bad("/authenticate takes only authentication requests")
    _image_ref(data.get("receivedMessage"), images, "interactiveData.receivedMessage")
    checks = {
        "listPicker": _check_list_picker,
        "event": _check_event,
        "quick-reply": _check_quick_reply,
        "payment": _check_payment,
        "authenticate": _check_authenticate,
        "dynamic": _check_form,
    }
    checks[feature](inner[feature], images)
    return feature


def _check_list_picker(picker: Any, images: set[str]) -> None:
    path = "interactiveData.data.listPicker"
    if not isinstance(picker, dict):
        raise bad(f"{path} must be an object")
    sections = _list(picker.get("sections"), f"{path}.sections")
    for s_index, section in enumerate(sections):
        s_path = f"{path}.sections[{s_index}]"
        if not isinstance(section, dict):
            raise bad(f"{s_path} must be an object")
        if "title" in section and not isinstance(section["title"], str):
            raise bad(f"{s_path}.title must be a string")
        if "multipleSelection" in section and not isinstance(
            section["multipleSelection"], bool
        ):
            raise bad(f"{s_path}.multipleSelection must be true or false")
        if "order" in section and not _is_int(section["order"]):
            raise bad(f"{s_path}.order must be a whole number")
        items = _list(section.get("items"), f"{s_path}.items")
        seen: set[str] = set()
        for i_index, item in enumerate(items):
            i_path = f"{s_path}.items[{i_index}]"
            _identified(item, i_path)
            if item["identifier"] in seen:
                raise bad(f"{i_path}.identifier {item['identifier']!r} is used twice")
            seen.add(item["identifier"])
            if "order" in item and not _is_int(item["order"]):
                raise bad(f"{i_path}.order must be a whole number")
            _image_ref(item, images, i_path)


def _check_event(event: Any, images: set[str]) -> None:
    path = "interactiveData.data.event"
    if not isinstance(event, dict):
        raise bad(f"{path} must be an object")
    if not isinstance(event.get("title"), str) or not event["title"]:
        raise bad(f"{path}.title must be a non-empty string")
    if "timezoneOffset" in event and not _is_int(event["timezoneOffset"]):
        raise bad(f"{path}.timezoneOffset must be minutes as a whole number")
    location = event.get("location")
    if location is not None:
        if not isinstance(location, dict):
            raise bad(f"{path}.location must be an object")
        for field in ("latitude", "longitude"):
            value = location.get(field)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise bad(f"{path}.location.{field} must be a number")
    slots = _list(event.get("timeslots"), f"{path}.timeslots")
    for index, slot in enumerate(slots):
        s_path = f"{path}.timeslots[{index}]"
        if not isinstance(slot, dict):
            raise bad(f"{s_path} must be an object")
        if not isinstance(slot.get("identifier"), str) or not slot["identifier"]:
            raise bad(f"{s_path}.identifier must be a non-empty string")
        start = slot.get("startTime")
        if not isinstance(start, str) or not _TIMESLOT_RE.match(start):
            raise bad(f"{s_path}.startTime must look like 2025-01-31T09:30+0000")
        try:
            fmt = "%Y-%m-%dT%H:%M:%S%z" if start.count(":") == 2 else "%Y-%m-%dT%H:%M%z"
            datetime.strptime(start, fmt)  # noqa: DTZ007 - fmt ends in %z
        except ValueError as exc:
            raise bad(f"{s_path}.startTime {start!r} is not a real time") from exc
        duration = slot.get("duration")
        if not _is_int(duration) or duration <= 0:
            raise bad(f"{s_path}.duration must be a positive number of seconds")


def _check_quick_reply(quick: Any, images: set[str]) -> None:
    path = "interactiveData.data.quick-reply"
    if not isinstance(quick, dict):
        raise bad(f"{path} must be an object")
    if not isinstance(quick.get("summaryText"), str) or not quick["summaryText"]:
        raise bad(f"{path}.summaryText must be a non-empty string")
    items = quick.get("items")
    if not isinstance(items, list) or not 2 <= len(items) <= 5:
        raise bad(f"{path}.items must hold 2 to 5 items")
    seen: set[str] = set()
    for index, item in enumerate(items):
        _identified(item, f"{path}.items[{index}]")
        if item["identifier"] in seen:
            raise bad(
                f"{path}.items[{index}].identifier {item['identifier']!r} is used twice"
            )
        seen.add(item["identifier"])


def _check_payment(payment: Any, images: set[str]) -> None:
    path = "interactiveData.data.payment"
    if not isinstance(payment, dict):
        raise bad(f"{path} must be an object")
    request = payment.get("paymentRequest")
    if not isinstance(request, dict):
        raise bad(f"{path}.paymentRequest must be an object")
    r_path = f"{path}.paymentRequest"
    total = request.get("total")
    if not isinstance(total, dict) or not isinstance(
        total.get("amount"), str | int | float
    ):
        raise bad(f"{r_path}.total must be an object with label and amount")
    if not isinstance(total.get("label"), str):
        raise bad(f"{r_path}.total.label must be a string")
    if not isinstance(request.get("lineItems", []), list):
        raise bad(f"{r_path}.lineItems must be a list")
    apple_pay = request.get("applePay")
    if not isinstance(apple_pay, dict):
        raise bad(f"{r_path}.applePay must be an object")
    if (
        not isinstance(apple_pay.get("merchantIdentifier"), str)
        or not apple_pay["merchantIdentifier"]
    ):
        raise bad(f"{r_path}.applePay.merchantIdentifier must be a non-empty string")
    for field in ("supportedNetworks", "merchantCapabilities"):
        _list(apple_pay.get(field), f"{r_path}.applePay.{field}")
    country = request.get("countryCode")
    if not isinstance(country, str) or not re.fullmatch(r"[A-Z]{2}", country):
        raise bad(f"{r_path}.countryCode must be two capital letters (ISO 3166)")
    currency = request.get("currencyCode")
    if not isinstance(currency, str) or not re.fullmatch(r"[A-Z]{3}", currency):
        raise bad(f"{r_path}.currencyCode must be three capital letters (ISO 4217)")
    if not isinstance(request.get("merchantName", ""), str):
        raise bad(f"{r_path}.merchantName must be a string")
    if not isinstance(payment.get("merchantSession"), dict):
        raise bad(f"{path}.merchantSession must be the JSON object Apple Pay returned")
    endpoints = payment.get("endpoints")
    if not isinstance(endpoints, dict):
        raise bad(f"{path}.endpoints must be an object")
    _http_url(endpoints.get("paymentGatewayUrl"), f"{path}.endpoints.paymentGatewayUrl")
    for field, value in endpoints.items():
        if field != "paymentGatewayUrl" and value is not None:
            _http_url(value, f"{path}.endpoints.{field}")


def _check_authenticate(auth: Any, images: set[str]) -> None:
    path = "interactiveData.data.authenticate"
    if not isinstance(auth, dict):
        raise bad(f"{path} must be an object")
    oauth = auth.get("oauth2")
    if not isinstance(oauth, dict):
        raise bad(f"{path}.oauth2 must be an object")
    for field in ("responseType", "state"):
        if not isinstance(oauth.get(field), str) or not oauth[field]:
            raise bad(f"{path}.oauth2.{field} must be a non-empty string")
    scope = oauth.get("scope")
    if not isinstance(scope, list) or not all(isinstance(s, str) for s in scope):
        raise bad(f"{path}.oauth2.scope must be a list of strings")
    if "redirectURI" in oauth:
        _http_url(oauth["redirectURI"], f"{path}.oauth2.redirectURI")
    key = oauth.get("responseEncryptionKey")
    if key is not None:
        _base64(key, f"{path}.oauth2.responseEncryptionKey")


def _check_form(form: Any, images: set[str]) -> None:
    path = "interactiveData.data.dynamic"
    if not isinstance(form, dict):
        raise bad(f"{path} must be an object")
    if form.get("template") != "messageForms":
        raise bad(f"{path}.template must be 'messageForms'")
    if not isinstance(form.get("version"), str):
        raise bad(f"{path}.version must be a string such as '1.1'")
    data = form.get("data")
    if not isinstance(data, dict):
        raise bad(f"{path}.data must be an object")
    pages = _list(data.get("pages"), f"{path}.data.pages")
    identifiers: set[str] = set()
    for index, page in enumerate(pages):
        p_path = f"{path}.data.pages[{index}]"
        if not isinstance(page, dict):
            raise bad(f"{p_path} must be an object")
        page_id = page.get("pageIdentifier")
        if not isinstance(page_id, str | int) or page_id == "":
            raise bad(f"{p_path}.pageIdentifier is required")
        identifiers.add(str(page_id))
        if page.get("type") not in FORM_PAGE_TYPES:
            raise bad(f"{p_path}.type must be one of {', '.join(FORM_PAGE_TYPES)}")
        if not isinstance(page.get("title"), str):
            raise bad(f"{p_path}.title must be a string")
        if page["type"] in ("select", "picker"):
            for i_index, item in enumerate(_list(page.get("items"), f"{p_path}.items")):
                _identified(item, f"{p_path}.items[{i_index}]")
                _image_ref(item, images, f"{p_path}.items[{i_index}]")
    start = data.get("startPageIdentifier")
    if start is not None and str(start) not in identifiers:
        raise bad(f"{path}.data.startPageIdentifier {start!r} names no page")
    for index, page in enumerate(pages):
        following = page.get("nextPageIdentifier")
        if following is not None and str(following) not in identifiers:
            raise bad(
                f"{path}.data.pages[{index}].nextPageIdentifier {following!r} names no page"
            )


def _check_app(data: dict[str, Any]) -> None:
    parts = data["bid"].split(":")
    if len(parts) != 3 or not parts[1] or not parts[2]:
        raise bad(
            "interactiveData.bid of an iMessage app must be '<prefix>:<team id>:<bundle id>'"
        )
    for field in ("appId", "appName", "URL"):
        if not isinstance(data.get(field), str) or not data[field]:
            raise bad(f"interactiveData.{field} is required for an iMessage app")
    if len(data["URL"].encode()) > MAX_APP_URL_BYTES:
        raise bad("interactiveData.URL is longer than 64 kB")


# Small helpers ----------------------------------------------------------------


def _bubble(value: Any, path: str, *, required: bool) -> None:
    if value is None:
        if required:
            raise bad(f"{path} is required (the bubble the customer sees)")
        return
    if not isinstance(value, dict):
        raise bad(f"{path} must be an object")
    if not isinstance(value.get("title"), str) or not value["title"]:
        raise bad(f"{path}.title must be a non-empty string")
    if "style" in value and value["style"] not in BUBBLE_STYLES:
        raise bad(f"{path}.style must be one of {', '.join(BUBBLE_STYLES)}")


def _images(value: Any) -> set[str]:
    if value is None:
        return set()
    path = "interactiveData.data.images"
    if not isinstance(value, list):
        raise bad(f"{path} must be a list")
    identifiers: set[str] = set()
    for index, image in enumerate(value):
        if not isinstance(image, dict) or not isinstance(image.get("identifier"), str):
            raise bad(f"{path}[{index}] must be an object with an identifier")
        _base64(image.get("data"), f"{path}[{index}].data")
        identifiers.add(image["identifier"])
    return identifiers


def _image_ref(item: Any, images: set[str], path: str) -> None:
    if (
        isinstance(item, dict)
        and item.get("imageIdentifier") is not None
        and str(item["imageIdentifier"]) not in images
    ):
        raise bad(
            f"{path}.imageIdentifier {item['imageIdentifier']!r} names no image in data.images"
        )


def _identified(item: Any, path: str) -> None:
    if not isinstance(item, dict):
        raise bad(f"{path} must be an object")
    if not isinstance(item.get("identifier"), str) or not item["identifier"]:
        raise bad(f"{path}.identifier must be a non-empty string")
    if not isinstance(item.get("title"), str) or not item["title"]:
        raise bad(f"{path}.title must be a non-empty string")


def _list(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list) or not value:
        raise bad(f"{path} must be a non-empty list")
    return value


def _http_url(value: Any, path: str) -> None:
    if not isinstance(value, str) or not value:
        raise bad(f"{path} must be a URL")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise bad(f"{path} {value!r} must be an http(s) URL")


def _base64(value: Any, path: str) -> bytes:
    if not isinstance(value, str) or not value:
        raise bad(f"{path} must be Base64 text")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise bad(f"{path} is not valid Base64") from exc


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_hex(text: str) -> bool:
    try:
        bytes.fromhex(text)
    except ValueError:
        return False
    return True
