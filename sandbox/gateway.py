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
    size = item.get("size")
    if _is_int(size):
        # Apple's tutorial: the outbound size "has to be of type string".
        raise bad(
            f'{path}.size must be a string of digits such as "{size}", not a number'
        )
    for field in (
        "name",
        "mimeType",
        "size",
        "url",
        "owner",
        "key",
        "signature-base64",
    ):
        _string(item, field, path)
    if not item["size"].isdigit() or not 0 < int(item["size"]) <= MAX_ATTACHMENT_BYTES:
        raise bad(
            f"{path}.size {item['size']!r} must be the encrypted size in bytes, 1 to 100 MB"
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
    _string(data, "title", "richLinkData")
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
        _check_data_ref(body["interactiveDataRef"])
        return "dataRef"
    data = body.get("interactiveData")
    if not isinstance(data, dict):
        raise bad(
            "interactiveData must be an object, not " + _json_type(data)
            if "interactiveData" in body
            else "interactiveData (or interactiveDataRef) is missing"
        )
    bid = _string(data, "bid", "interactiveData")
    if not bid.startswith(APP_BID_PREFIX):
        raise bad(f"interactiveData.bid {bid!r} must start with {APP_BID_PREFIX!r}")
    _bubble(data.get("replyMessage"), "interactiveData.replyMessage", required=False)
    if bid != BUSINESS_EXTENSION_BID:
        if endpoint == "authenticate":
            raise bad("/authenticate takes only authentication requests")
        _bubble(
            data.get("receivedMessage"),
            "interactiveData.receivedMessage",
            required=True,
        )
        _check_app(data)
        return "app"
    inner = data.get("data")
    if not isinstance(inner, dict):
        raise bad(
            "interactiveData.data must be an object, not " + _json_type(inner)
            if "data" in data
            else "interactiveData.data is missing"
        )
    _check_version(inner)
    _string(inner, "requestIdentifier", "interactiveData.data", hint=" (a UUID)")
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
    # Apple's quick reply has no bubble of its own: the items are the message.
    _bubble(
        data.get("receivedMessage"),
        "interactiveData.receivedMessage",
        required=feature != "quick-reply",
    )
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


def _check_version(inner: dict[str, Any]) -> None:
    # Apple's reference names `version`; its tutorial samples send only `mspVersion`.
    path = "interactiveData.data"
    for field in ("version", "mspVersion"):
        if field in inner:
            _string(inner, field, path, hint=" such as '1.0'")
    if "version" not in inner and "mspVersion" not in inner:
        raise bad(f"{path}.version (or mspVersion) is missing; send e.g. '1.0'")


def _check_data_ref(ref: Any) -> None:
    path = "interactiveDataRef"
    if not isinstance(ref, dict):
        raise bad(f"{path} must be an object, not {_json_type(ref)}")
    for field in ("bid", "url", "owner"):
        _string(ref, field, path)
    # Apple's own answer to include-data-ref has no key, only its opaque dataRefSig.
    if "key" in ref or "dataRefSig" not in ref:
        _string(
            ref, "key", path, hint=" (or send back the dataRefSig the gateway gave)"
        )
    else:
        _string(ref, "dataRefSig", path)
    size = ref.get("size")
    if size is None:
        raise bad(f"{path}.size is missing (the encrypted size in bytes)")
    # Apple hands the size out as a number; a string of digits is understood too.
    if not (
        (_is_int(size) and size > 0)
        or (isinstance(size, str) and size.isdigit() and int(size) > 0)
    ):
        raise bad(
            f"{path}.size must be the encrypted size in bytes (a positive number), not {size!r}"
        )
    for field in ("signature-base64", "signature"):
        if field in ref:
            _string(ref, field, path)
    if not (ref.get("signature-base64") or ref.get("signature")):
        raise bad(f"{path} needs signature-base64 (or signature in hex)")


def bubble_title(interactive_data: dict[str, Any]) -> str:
    """The title of the bubble an interactive message shows, or ""."""
    bubble = interactive_data.get("receivedMessage")
    title = bubble.get("title") if isinstance(bubble, dict) else None
    return title if isinstance(title, str) else ""


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
    # Apple's own time picker sample sends an empty title.
    _string(event, "title", path, allow_empty=True)
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
        _string(slot, "identifier", s_path)
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
    _string(quick, "summaryText", path)
    items = quick.get("items")
    if not isinstance(items, list) or not 2 <= len(items) <= 5:
        found = f"{len(items)}" if isinstance(items, list) else _json_type(items)
        raise bad(f"{path}.items must hold 2 to 5 items, not {found}")
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
    _string(apple_pay, "merchantIdentifier", f"{r_path}.applePay")
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
        _string(oauth, field, f"{path}.oauth2")
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
        if page_id is None:
            raise bad(f"{p_path}.pageIdentifier is missing")
        if isinstance(page_id, bool) or not isinstance(page_id, str | int):
            raise bad(
                f"{p_path}.pageIdentifier must be a string or a whole number, not {_json_type(page_id)}"
            )
        if page_id == "":
            raise bad(f"{p_path}.pageIdentifier is empty")
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
    app_id = data.get("appId")
    if app_id is None:
        raise bad(
            "interactiveData.appId is missing; an iMessage app needs its App Store id"
        )
    # Apple's reference shows the App Store id as a number; a string is taken too.
    if not ((_is_int(app_id) and app_id > 0) or (isinstance(app_id, str) and app_id)):
        raise bad(
            f"interactiveData.appId must be the App Store id as a number or a string, not {app_id!r}"
        )
    for field in ("appName", "URL"):
        _string(data, field, "interactiveData", hint=" (needed for an iMessage app)")
    if len(data["URL"].encode()) > MAX_APP_URL_BYTES:
        raise bad("interactiveData.URL is longer than 64 kB")


# Small helpers ----------------------------------------------------------------


def _bubble(value: Any, path: str, *, required: bool) -> None:
    if value is None:
        if required:
            raise bad(f"{path} is required (the bubble the customer sees)")
        return
    if not isinstance(value, dict):
        raise bad(f"{path} must be an object, not {_json_type(value)}")
    _string(value, "title", path)
    if "style" in value and value["style"] not in BUBBLE_STYLES:
        raise bad(f"{path}.style must be one of {', '.join(BUBBLE_STYLES)}")


def _images(value: Any) -> set[str]:
    if value is None:
        return set()
    path = "interactiveData.data.images"
    if not isinstance(value, list):
        raise bad(f"{path} must be a list, not {_json_type(value)}")
    identifiers: set[str] = set()
    for index, image in enumerate(value):
        if not isinstance(image, dict):
            raise bad(f"{path}[{index}] must be an object, not {_json_type(image)}")
        _string(image, "identifier", f"{path}[{index}]")
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
        raise bad(f"{path} must be an object, not {_json_type(item)}")
    _string(item, "identifier", path)
    _string(item, "title", path)


def _string(
    container: dict[str, Any],
    field: str,
    path: str,
    *,
    hint: str = "",
    allow_empty: bool = False,
) -> str:
    """``container[field]`` as a string, or a refusal saying whether it is missing, mistyped or empty."""
    value = container.get(field)
    if field not in container:
        raise bad(f"{path}.{field} is missing{hint}")
    if not isinstance(value, str):
        raise bad(f"{path}.{field} must be a string, not {_json_type(value)}{hint}")
    if not allow_empty and not value.strip():
        raise bad(f"{path}.{field} is empty{hint}")
    return value


def _json_type(value: Any) -> str:
    """Name a JSON value as the sender would recognise it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _list(value: Any, path: str) -> list[Any]:
    if value is None:
        raise bad(f"{path} is missing")
    if not isinstance(value, list):
        raise bad(f"{path} must be a list, not {_json_type(value)}")
    if not value:
        raise bad(f"{path} is empty; it needs at least one entry")
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
