"""Inbound parsing and outbound body building for Apple's wire format (spec §3, §4, §6).

Parsed inbound messages are frozen dataclasses; nothing else crosses the boundary.
Parsing is liberal (both header and attachment spellings, gzip or not) but every
problem it cannot work around raises ``MalformedPayload`` with a readable reason.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import unicodedata
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn

from .crypto import key_from_wire, key_to_wire, signature_hex_to_base64
from .exceptions import MalformedPayload, UnsupportedPayload

# Apple's own limit for a message is far below this; the cap only stops a small
# gzip body from inflating into gigabytes inside a web worker.
MAX_BODY_BYTES = 16 * 1024 * 1024
GZIP_MAGIC = b"\x1f\x8b"
OBJECT_REPLACEMENT = "\ufffc"  # one per attachment in a text body (spec §3)

# Apple's message ids are UUIDs and its opaque ids a few dozen characters: an
# id longer than these (the widths of the columns that hold them) or with
# control characters cannot come from Apple's gateway, so it is refused, not cut.
MAX_MESSAGE_ID_LENGTH = 64
MAX_OPAQUE_ID_LENGTH = 255
MAX_REQUEST_IDENTIFIER_LENGTH = 64
# Apple's own attachment limit (spec §6).
MAX_ATTACHMENT_BYTES = 100 * 1024 * 1024
# Apple's documented bodies nest a dozen levels at most; deep nesting only
# costs recursion later (JSON encoders, the database's jsonb parser).
MAX_JSON_DEPTH = 64

INBOUND_TYPES = frozenset(
    {"text", "typing_start", "typing_end", "close", "interactive"}
)


@dataclass(frozen=True)
class AttachmentDescriptor:
    """One entry of ``attachments[]``, normalised from either spelling."""

    name: str
    mime_type: str
    size: int  # bytes of the encrypted file
    url: str
    owner: str
    key: str  # "00" + hex, as on the wire
    signature_base64: str  # inbound hex signatures are converted to Base64


@dataclass(frozen=True)
class Tapback:
    """A reaction sentence Apple delivers as text (spec §3)."""

    reaction: (
        str  # liked | loved | disliked | laughed | emphasized | questioned | reacted
    )
    emoji: str  # for "Reacted 🎉 to …", else ""
    quoted: str  # the quoted text, "" when the sentence names no text
    target_description: str  # "an image", "1 Business Message", … or ""
    removed: bool = False  # "Removed a like from …": the reaction was taken back


@dataclass(frozen=True)
class InboundEnvelope:
    apple_id: str
    source_id: str  # customer opaque id
    destination_id: str  # business id
    capabilities: frozenset[str]  # upper-case names from capability-list
    device_agent: str
    locale: str
    intent: str
    group: str
    raw: Mapping[str, Any] = field(repr=False)


@dataclass(frozen=True)
class InboundText:
    envelope: InboundEnvelope
    body: str
    attachments: tuple[AttachmentDescriptor, ...]
    tapback: Tapback | None


@dataclass(frozen=True)
class InboundTyping:
    envelope: InboundEnvelope
    started: bool


@dataclass(frozen=True)
class InboundClose:
    envelope: InboundEnvelope


@dataclass(frozen=True)
class InboundInteractive:
    envelope: InboundEnvelope
    request_identifier: str  # "" when it is only known after resolving data_ref
    data: Mapping[str, Any] | None  # interactiveData when carried inline
    data_ref: (
        Mapping[str, Any] | None
    )  # interactiveDataRef, to resolve at once (spec §8)


InboundMessage = InboundText | InboundTyping | InboundClose | InboundInteractive


# --- body decoding -----------------------------------------------------------


def _json_type(value: Any) -> str:
    """Name a decoded JSON value the way the sender would recognise it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _gunzip(data: bytes, limit: int) -> bytes:
    out = bytearray()
    remaining = data
    # A gzip file may hold several members back to back; gzip(1) inflates all.
    while remaining.startswith(GZIP_MAGIC):
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        try:
            # max_length bounds the output: the bomb guard works before memory is spent.
            out += inflater.decompress(remaining, limit - len(out) + 1)
        except zlib.error as exc:
            raise MalformedPayload(f"body is not valid gzip: {exc}") from exc
        if len(out) > limit or inflater.unconsumed_tail:
            raise MalformedPayload(f"gzip body inflates to more than {limit} bytes")
        if not inflater.eof:
            raise MalformedPayload("gzip body is truncated")
        remaining = inflater.unused_data
    if remaining.strip(b"\x00"):
        raise MalformedPayload("unexpected data after the gzip stream")
    return bytes(out)


def gunzip_if_compressed(data: bytes, *, limit: int = MAX_BODY_BYTES) -> bytes:
    """Inflate ``data`` when it starts with the gzip magic, else return it as is.

    Raises ``MalformedPayload`` for broken gzip or output over ``limit`` bytes.
    Also used for decrypted interactive data refs (spec §8).
    """
    if data.startswith(GZIP_MAGIC):
        return _gunzip(data, limit)
    return data


def _says_gzip(headers: Mapping[str, str]) -> bool:
    encodings = headers.get("content-encoding", "").lower().split(",")
    return any(token.strip() in ("gzip", "x-gzip") for token in encodings)


def _decode_body(headers: Mapping[str, str], body: bytes) -> bytes:
    if body.startswith(GZIP_MAGIC):
        return _gunzip(body, MAX_BODY_BYTES)
    if _says_gzip(headers) and not body.lstrip().startswith((b"{", b"[")):
        raise MalformedPayload("Content-Encoding is gzip but the body is not gzip data")
    # A header claiming gzip over plain JSON happens when a proxy already
    # inflated the body and kept the header; the JSON is still good.
    if len(body) > MAX_BODY_BYTES:
        raise MalformedPayload(f"body is larger than {MAX_BODY_BYTES} bytes")
    return body


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not valid JSON")


# NUL cannot be stored in a PostgreSQL text column, and a lone surrogate (from
# a "\ud83d" escape) cannot be encoded as UTF-8 at all: both would fail later,
# far from the request, so they are refused here.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        # 1e400 parses to inf, which no JSON column and no JSON encoder accepts.
        raise ValueError(f"number {_clip(text, 20)} is out of range")
    return value


def _check_strings(value: Any) -> None:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:  # iterative: nesting depth must not become a RecursionError
        item, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise MalformedPayload(f"body nests deeper than {MAX_JSON_DEPTH} levels")
        if isinstance(item, str):
            found = _UNSTORABLE.search(item)
            if found is not None:
                if found.group() == "\x00":
                    raise MalformedPayload("body contains a NUL character (\\u0000)")
                raise MalformedPayload("body contains an unpaired surrogate escape")
        elif isinstance(item, dict):
            stack.extend((key, depth) for key in item)
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)


def _load_json_object(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        raise MalformedPayload("body is empty")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedPayload(f"body is not valid UTF-8 (byte {exc.start})") from exc
    text = text.removeprefix("\ufeff")  # a BOM is noise, not content
    try:
        data = json.loads(
            text, parse_constant=_reject_constant, parse_float=_finite_float
        )
    except json.JSONDecodeError as exc:
        raise MalformedPayload(
            f"body is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from exc
    except (ValueError, RecursionError) as exc:
        raise MalformedPayload(f"body is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise MalformedPayload(f"body must be a JSON object, not {_json_type(data)}")
    _check_strings(data)
    return data


# --- field helpers -----------------------------------------------------------


def _normalise_headers(headers: Mapping[str, str]) -> dict[str, str]:
    # Django's request.headers is already case-insensitive; a plain dict is not.
    return {str(key).lower(): str(value) for key, value in headers.items()}


def _optional_str(data: Mapping[str, Any], *keys: str, where: str = "body") -> str:
    """The first of ``keys`` (spellings) present, as a string; "" if absent or null."""
    for key in keys:
        value = data.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            raise MalformedPayload(
                f"{where}: {key!r} must be a string, not {_json_type(value)}"
            )
        return value
    return ""


def _required_str(data: Mapping[str, Any], *keys: str, where: str) -> str:
    value = _optional_str(data, *keys, where=where)
    if not value:
        raise MalformedPayload(f"{where}: {' / '.join(map(repr, keys))} is required")
    return value


def _identifier(
    data: Mapping[str, Any],
    headers: Mapping[str, str],
    body_key: str,
    header_key: str,
    *,
    max_length: int,
) -> str:
    """An id sent in the body, as a header, or both; when both, they must agree."""
    in_body = _optional_str(data, body_key).strip()
    in_header = headers.get(header_key, "").strip()
    if in_body and in_header and in_body != in_header:
        raise MalformedPayload(
            f"body {body_key!r} ({_clip(in_body)!r}) does not match "
            f"the {header_key!r} header ({_clip(in_header)!r})"
        )
    value = in_body or in_header
    if not value:
        raise MalformedPayload(
            f"missing {body_key!r} (body) or {header_key!r} (header)"
        )
    _check_token(value, body_key, max_length)
    return value


def _check_token(value: str, name: str, max_length: int) -> None:
    if len(value) > max_length:
        raise MalformedPayload(
            f"{name!r} is longer than {max_length} characters ({len(value)})"
        )
    if any(char.isspace() or unicodedata.category(char)[0] == "C" for char in value):
        raise MalformedPayload(f"{name!r} contains spaces or control characters")


def _capabilities(headers: Mapping[str, str]) -> frozenset[str]:
    value = (
        headers["capability-list"]
        if "capability-list" in headers
        else headers.get("capabilities", "")
    )
    return frozenset(
        token.strip().upper() for token in value.split(",") if token.strip()
    )


def _size(item: Mapping[str, Any], where: str) -> int:
    for key in ("size", "file-size"):
        value = item.get(key)
        if value is None:
            continue
        number: int | None = None
        if isinstance(value, str):
            digits = value.strip()
            # Length first: int() of 70,000 digits is refused by Python itself.
            if digits.isascii() and digits.isdecimal() and len(digits) <= 12:
                number = int(digits)
        elif isinstance(value, int) and not isinstance(value, bool):
            number = value
        if number is None:
            raise MalformedPayload(
                f"{where}: {key!r} must be a non-negative integer, "
                f"got {_clip(repr(value), 40)}"
            )
        if not 0 <= number <= MAX_ATTACHMENT_BYTES:
            raise MalformedPayload(
                f"{where}: {key!r} must be between 0 and {MAX_ATTACHMENT_BYTES} bytes"
            )
        return number
    raise MalformedPayload(f"{where}: 'size' / 'file-size' is required")


def _signature_base64(item: Mapping[str, Any], where: str) -> str:
    b64 = _optional_str(item, "signature-base64", where=where).strip()
    if b64:
        try:
            raw = base64.b64decode(b64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise MalformedPayload(
                f"{where}: 'signature-base64' is not Base64"
            ) from exc
        return base64.b64encode(raw).decode("ascii")
    hex_form = _required_str(item, "signature", "signature-base64", where=where).strip()
    try:
        return signature_hex_to_base64(hex_form)
    except ValueError:
        pass
    # Documented as hex, but a sender that put Base64 here is understood too.
    try:
        raw = base64.b64decode(hex_form, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MalformedPayload(
            f"{where}: 'signature' is neither hex nor Base64"
        ) from exc
    return base64.b64encode(raw).decode("ascii")


def parse_attachment(item: Any, *, where: str = "attachment") -> AttachmentDescriptor:
    """Normalise one attachment descriptor from either spelling (spec §6 table)."""
    if not isinstance(item, Mapping):
        raise MalformedPayload(f"{where} must be an object, not {_json_type(item)}")
    key_text = _required_str(item, "key", "decryption-key", where=where)
    try:
        key = key_to_wire(key_from_wire(key_text))
    except ValueError as exc:
        raise MalformedPayload(f"{where}: {exc}") from exc
    return AttachmentDescriptor(
        name=_optional_str(item, "name", where=where),
        mime_type=_optional_str(item, "mimeType", "mime-type", where=where)
        or "application/octet-stream",
        size=_size(item, where),
        url=_required_str(item, "url", "mmcs-url", where=where),
        owner=_required_str(item, "owner", "mmcs-owner", where=where),
        key=key,
        signature_base64=_signature_base64(item, where),
    )


# --- tapbacks ----------------------------------------------------------------

# Curly, straight, low-9, guillemet and corner quotes all occur in the wild.
_OPEN_QUOTES = "\u201c\"\u2018'\u201e\u00ab\u2039\u300c"
_CLOSE_QUOTES = "\u201d\"\u2019'\u201c\u00bb\u203a\u300d"
_NOUNS = (
    r"image|photo|picture|video|movie|attachment|sticker|audio(?:\s+message)?|"
    r"voice\s+message|file|document|link|location|contact|message|GIF|"
    r"Live\s+Photo|Memoji|Business\s+Message"
)
_PLURAL_NOUNS = (
    r"Business\s+Messages?|images?|photos?|videos?|attachments?|items?|messages?"
)
# What a reaction can be about: quoted text (greedy to the last closing quote,
# across lines, since the quoted text may itself contain quotes) or a fixed
# description. The explicit noun list keeps "Liked a lot" ordinary text.
_OBJECT = (
    rf"(?:[{_OPEN_QUOTES}](?P<quoted>.*)[{_CLOSE_QUOTES}]"
    rf"|(?P<target>an?\s+(?:{_NOUNS})|\d+\s+(?:{_PLURAL_NOUNS})))"
)
_VERBS = {
    "liked": "liked",
    "loved": "loved",
    "disliked": "disliked",
    "laughed at": "laughed",
    "emphasized": "emphasized",
    "emphasised": "emphasized",  # en-GB devices
    "questioned": "questioned",
}
_REMOVED_NOUNS = {
    "like": "liked",
    "heart": "loved",
    "love": "loved",
    "dislike": "disliked",
    "laugh": "laughed",
    "exclamation": "emphasized",
    "exclamation mark": "emphasized",
    "emphasis": "emphasized",
    "question mark": "questioned",
}
_CLASSIC = re.compile(
    r"\s*(?P<verb>Liked|Loved|Disliked|Laughed\s+at|Emphasi[sz]ed|Questioned)\s+"
    + _OBJECT
    + r"\s*",
    re.DOTALL,
)
_REACTED = re.compile(
    r"\s*Reacted\s+(?P<emoji>\S{1,40}?)\s+to\s+" + _OBJECT + r"\s*", re.DOTALL
)
_REMOVED = re.compile(
    r"\s*Removed\s+(?:an?\s+)?(?P<what>exclamation\s+mark|question\s+mark|\S{1,40}?)"
    r"(?:\s+reaction)?\s+from\s+" + _OBJECT + r"\s*",
    re.DOTALL,
)

_EMOJI_JOINERS = frozenset({0x200D, 0xFE0E, 0xFE0F})  # ZWJ and variation selectors


def _is_emoji(token: str) -> bool:
    """True for one emoji, including ZWJ sequences, skin tones, flags and keycaps."""
    pictographic = False
    for char in token:
        point = ord(char)
        category = unicodedata.category(char)
        if category == "So" or point == 0x20E3 or 0x1F3FB <= point <= 0x1F3FF:
            pictographic = True  # symbols, regional indicators, keycap, skin tones
        elif point in _EMOJI_JOINERS or 0xE0020 <= point <= 0xE007F:
            continue  # joiners, presentation selectors, subdivision-flag tags
        elif char in "0123456789#*":
            continue  # keycap bases such as 1️⃣
        else:
            return False
    return pictographic


def _tapback_object(match: re.Match[str]) -> tuple[str, str]:
    target = match.group("target")
    if target is not None:
        return "", " ".join(target.split())
    return match.group("quoted"), ""


def parse_tapback(text: str) -> Tapback | None:
    """Recognise a reaction sentence (``Liked “…”``, ``Reacted 🎉 to …``); else None.

    The whole text must be the sentence: an ordinary message that merely starts
    with "Liked" is not a reaction.
    """
    if not text:
        return None
    match = _CLASSIC.fullmatch(text)
    if match is not None:
        verb = " ".join(match.group("verb").split()).lower()
        quoted, target = _tapback_object(match)
        return Tapback(
            reaction=_VERBS[verb], emoji="", quoted=quoted, target_description=target
        )
    match = _REACTED.fullmatch(text)
    if match is not None and _is_emoji(match.group("emoji")):
        quoted, target = _tapback_object(match)
        return Tapback(
            reaction="reacted",
            emoji=match.group("emoji"),
            quoted=quoted,
            target_description=target,
        )
    match = _REMOVED.fullmatch(text)
    if match is not None:
        what = " ".join(match.group("what").split())
        reaction = _REMOVED_NOUNS.get(what.lower())
        emoji = ""
        if reaction is None:
            if not _is_emoji(what):
                return None
            reaction, emoji = "reacted", what
        quoted, target = _tapback_object(match)
        return Tapback(
            reaction=reaction,
            emoji=emoji,
            quoted=quoted,
            target_description=target,
            removed=True,
        )
    return None


# --- inbound -----------------------------------------------------------------


def _parse_text(envelope: InboundEnvelope, data: Mapping[str, Any]) -> InboundText:
    raw_attachments = data.get("attachments")
    if raw_attachments is None:
        raw_attachments = []
    if not isinstance(raw_attachments, list):
        raise MalformedPayload(
            f"'attachments' must be an array, not {_json_type(raw_attachments)}"
        )
    attachments = tuple(
        parse_attachment(item, where=f"attachments[{index}]")
        for index, item in enumerate(raw_attachments)
    )
    body = data.get("body")
    if body is None:
        # An attachment-only message may omit the body; plain text may not.
        if not attachments:
            raise MalformedPayload("text message without 'body'")
        body = ""
    if not isinstance(body, str):
        raise MalformedPayload(f"'body' must be a string, not {_json_type(body)}")
    return InboundText(
        envelope=envelope,
        body=body,
        attachments=attachments,
        tapback=parse_tapback(body),
    )


def _parse_interactive(
    envelope: InboundEnvelope, data: Mapping[str, Any]
) -> InboundInteractive:
    inline = data.get("interactiveData")
    ref = data.get("interactiveDataRef")
    for name, value in (("interactiveData", inline), ("interactiveDataRef", ref)):
        if value is not None and not isinstance(value, dict):
            raise MalformedPayload(
                f"{name!r} must be an object, not {_json_type(value)}"
            )
    if inline is None and ref is None:
        raise MalformedPayload(
            "interactive message without interactiveData or interactiveDataRef"
        )
    request_identifier = ""
    if inline is not None:
        request_identifier = _interactive_data_check(inline, "interactiveData")
    if ref is not None:
        # The same descriptor as an attachment (spec §8): all of it is needed
        # to fetch the reply, so a partial one is refused now, not failed later.
        parse_attachment(ref, where="interactiveDataRef")
    return InboundInteractive(
        envelope=envelope,
        request_identifier=request_identifier,
        data=inline,
        data_ref=ref,
    )


def _interactive_data_check(interactive_data: Mapping[str, Any], where: str) -> str:
    """Refuse what Apple's documented ``interactiveData`` cannot look like (spec §7);
    return its request identifier."""
    inner = interactive_data.get("data")
    if inner is not None and not isinstance(inner, dict):
        raise MalformedPayload(
            f"{where}: 'data' must be an object, not {_json_type(inner)}"
        )
    for holder in (inner or {}, interactive_data):
        value = holder.get("requestIdentifier")
        if value is not None and not isinstance(value, str):
            raise MalformedPayload(
                f"{where}: 'requestIdentifier' must be a string, "
                f"not {_json_type(value)}"
            )
    request_identifier = request_identifier_of(interactive_data)
    if request_identifier:
        _check_token(
            request_identifier,
            "data.requestIdentifier",
            MAX_REQUEST_IDENTIFIER_LENGTH,
        )
    return request_identifier


def interactive_data_check(interactive_data: Mapping[str, Any]) -> str:
    """``_interactive_data_check`` for a resolved ``interactiveDataRef`` (spec §8)."""
    return _interactive_data_check(interactive_data, "interactiveData")


def request_identifier_of(interactive_data: Mapping[str, Any]) -> str:
    """``data.requestIdentifier`` of an interactive payload, or "" when it has none.

    Also useful once an ``interactiveDataRef`` has been resolved (spec §8).
    """
    inner = interactive_data.get("data")
    if isinstance(inner, Mapping):
        value = inner.get("requestIdentifier")
        if isinstance(value, str):
            return value
    value = interactive_data.get("requestIdentifier")
    return value if isinstance(value, str) else ""


def parse_inbound(headers: Mapping[str, str], body: bytes) -> InboundMessage:
    """Turn one inbound request (headers + raw body) into a typed message (spec §3).

    Raises ``MalformedPayload`` (answer 400) when the request cannot be read and
    ``UnsupportedPayload`` (acknowledge) for a well-formed message of a type this
    platform does not handle.
    """
    h = _normalise_headers(headers)
    data = _load_json_object(_decode_body(h, bytes(body)))

    version = data.get("v")
    if version is not None and (isinstance(version, bool) or version != 1):
        raise MalformedPayload(f"'v' must be 1, got {_clip(repr(version), 20)}")
    envelope = InboundEnvelope(
        apple_id=_identifier(data, h, "id", "id", max_length=MAX_MESSAGE_ID_LENGTH),
        source_id=_identifier(
            data, h, "sourceId", "source-id", max_length=MAX_OPAQUE_ID_LENGTH
        ),
        destination_id=_identifier(
            data, h, "destinationId", "destination-id", max_length=MAX_OPAQUE_ID_LENGTH
        ),
        capabilities=_capabilities(h),
        device_agent=h.get("device-agent", "").strip(),
        locale=_optional_str(data, "locale"),
        intent=_optional_str(data, "intent"),
        group=_optional_str(data, "group"),
        raw=data,
    )

    message_type = data.get("type")
    if message_type is None:
        raise MalformedPayload("missing 'type'")
    if not isinstance(message_type, str):
        raise MalformedPayload(
            f"'type' must be a string, not {_json_type(message_type)}"
        )
    if message_type == "text":
        return _parse_text(envelope, data)
    if message_type in ("typing_start", "typing_end"):
        return InboundTyping(envelope=envelope, started=message_type == "typing_start")
    if message_type == "close":
        return InboundClose(envelope=envelope)
    if message_type == "interactive":
        return _parse_interactive(envelope, data)
    raise UnsupportedPayload(f"unsupported message type {_clip(message_type)!r}")


# --- outbound ----------------------------------------------------------------


def outbound_envelope(
    *, message_id: str, source_id: str, destination_id: str, type_: str, **fields: Any
) -> dict[str, Any]:
    """The common body of every outbound message (spec §4), plus ``fields``."""
    return {
        "id": message_id,
        "sourceId": source_id,
        "destinationId": destination_id,
        "v": 1,
        "type": type_,
        **fields,
    }


def attachment_to_wire(attachment: AttachmentDescriptor) -> dict[str, str]:
    """Serialise a descriptor in the current spelling (spec §6 table, first column)."""
    return {
        "name": attachment.name,
        "mimeType": attachment.mime_type,
        "size": str(attachment.size),
        "signature-base64": attachment.signature_base64,
        "url": attachment.url,
        "owner": attachment.owner,
        "key": attachment.key,
    }


def outbound_text_body(
    *,
    message_id: str,
    source_id: str,
    destination_id: str,
    text: str,
    attachments: Sequence[AttachmentDescriptor] = (),
) -> dict[str, Any]:
    """A ``text`` message, optionally with attachments.

    Messages shows an attachment where its U+FFFC placeholder stands in the
    body; missing placeholders are appended so a caption-only text still shows
    every file. Text without attachments is sent unchanged.
    """
    fields: dict[str, Any] = {"body": text}
    if attachments:
        missing = len(attachments) - text.count(OBJECT_REPLACEMENT)
        if missing > 0:
            fields["body"] = text + OBJECT_REPLACEMENT * missing
        fields["attachments"] = [attachment_to_wire(item) for item in attachments]
    return outbound_envelope(
        message_id=message_id,
        source_id=source_id,
        destination_id=destination_id,
        type_="text",
        **fields,
    )


def outbound_typing_body(
    *, message_id: str, source_id: str, destination_id: str, started: bool
) -> dict[str, Any]:
    """``typing_start`` / ``typing_end``: the envelope alone, no body."""
    return outbound_envelope(
        message_id=message_id,
        source_id=source_id,
        destination_id=destination_id,
        type_="typing_start" if started else "typing_end",
    )


def outbound_interactive_body(
    *,
    message_id: str,
    source_id: str,
    destination_id: str,
    interactive_data: Mapping[str, Any],
) -> dict[str, Any]:
    """An ``interactive`` message carrying a builder's ``interactiveData`` (spec §7)."""
    return outbound_envelope(
        message_id=message_id,
        source_id=source_id,
        destination_id=destination_id,
        type_="interactive",
        interactiveData=dict(interactive_data),
    )


def outbound_rich_link_body(
    *,
    message_id: str,
    source_id: str,
    destination_id: str,
    rich_link_data: Mapping[str, Any],
) -> dict[str, Any]:
    """A ``richLink`` message (spec §7.4)."""
    return outbound_envelope(
        message_id=message_id,
        source_id=source_id,
        destination_id=destination_id,
        type_="richLink",
        richLinkData=dict(rich_link_data),
    )
