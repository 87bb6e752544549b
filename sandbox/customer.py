"""The customer's device on the wire: builds and posts inbound traffic exactly as Apple does (spec §3).

Gzip'd JSON, the full header set, a JWT with ``aud`` = MSP ID signed with the
decoded secret, one UUID per message. Posting is async only: under ASGI a sync
view that calls back into the same server can starve it, so callers are the
customer consumer and async views.
"""

from __future__ import annotations

import gzip
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
from django.conf import settings

from .gateway import decode_secret

POST_TIMEOUT_SECONDS = 15.0
QUOTE_LIMIT = 100  # Apple shortens long quoted text in reaction sentences


@dataclass(frozen=True)
class DeviceProfile:
    label: str
    device_agent: str
    capabilities: tuple[str, ...]
    # iMessage apps and forms render only on iPhone and iPad (spec §5).
    apps: bool


DEVICE_PROFILES: dict[str, DeviceProfile] = {
    "iphone": DeviceProfile(
        "iPhone (iOS 18)",
        "iPhone OS",
        ("QUICK", "LIST", "TIME", "AUTH", "AUTH2", "FORM"),
        True,
    ),
    "iphone_old": DeviceProfile(
        "Older iPhone (iOS 15)", "iPhone OS", ("QUICK", "LIST", "TIME", "AUTH"), True
    ),
    "mac": DeviceProfile(
        "Mac", "Mac OS X", ("QUICK", "LIST", "TIME", "AUTH", "AUTH2"), False
    ),
    "watch": DeviceProfile("Apple Watch", "Watch OS", ("QUICK", "LIST", "TIME"), False),
}

REACTIONS: dict[str, str] = {
    "loved": "Loved",
    "liked": "Liked",
    "disliked": "Disliked",
    "laughed": "Laughed at",
    "emphasized": "Emphasized",
    "questioned": "Questioned",
}


@dataclass(frozen=True)
class Device:
    """Who is sending: enough to build Apple's headers and envelope."""

    opaque_id: str
    business_apple_id: str
    device: str = "iphone"
    locale: str = "en_US"


@dataclass(frozen=True)
class InboundRequest:
    message_id: str
    headers: dict[str, str]
    content: bytes  # gzip'd JSON, as it goes over the wire
    payload: dict[str, Any] = field(repr=False)


def inbound_token(*, msp_id: str | None = None, secret: str | None = None) -> str:
    """Sign as Apple signs inbound traffic: HS256, decoded secret, aud = MSP ID, iat = now."""
    key = decode_secret(secret if secret is not None else settings.MSP_SECRETS[0])
    claims = {"aud": msp_id or settings.MSP_ID, "iat": int(time.time())}
    return jwt.encode(claims, key, algorithm="HS256")


def build_inbound(
    device: Device,
    kind: str,
    fields: dict[str, Any] | None = None,
    *,
    message_id: str | None = None,
) -> InboundRequest:
    """One inbound message: headers, gzip'd body and the JSON it carries."""
    message_id = message_id or str(uuid.uuid4())
    profile = DEVICE_PROFILES[device.device]
    payload: dict[str, Any] = {
        "id": message_id,
        "sourceId": device.opaque_id,
        "destinationId": device.business_apple_id,
        "v": 1,
        "type": kind,
        "locale": device.locale,
    }
    payload.update(fields or {})
    headers = {
        "Authorization": f"Bearer {inbound_token()}",
        "Content-Type": "application/json",
        "Content-Encoding": "gzip",
        "id": message_id,
        "source-id": device.opaque_id,
        "destination-id": device.business_apple_id,
        "capability-list": ",".join(profile.capabilities),
        "device-agent": profile.device_agent,
    }
    content = gzip.compress(json.dumps(payload, ensure_ascii=False).encode("utf-8"))
    return InboundRequest(message_id, headers, content, payload)


def webhook_url(*, host: str, secure: bool) -> str:
    """Where inbound traffic goes: the configured URL, else this server's /message."""
    configured = settings.SANDBOX_WEBHOOK_URL
    if configured:
        return configured
    return f"{'https' if secure else 'http'}://{host}/message"


async def post_inbound(
    url: str,
    request: InboundRequest,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> tuple[int | None, str]:
    """POST one message to the platform; return (status, error text). Never raises."""
    try:
        async with httpx.AsyncClient(
            timeout=POST_TIMEOUT_SECONDS, transport=transport
        ) as client:
            response = await client.post(
                url, content=request.content, headers=request.headers
            )
    except httpx.HTTPError as exc:
        return None, f"could not reach {url}: {exc}"
    error = "" if response.is_success else response.text[:500]
    return response.status_code, error


def reaction_text(reaction: str, *, quoted: str | None, description: str = "") -> str:
    """Apple's tapback sentence, e.g. ``Loved “See you at 5”`` or ``Liked an image``."""
    verb = REACTIONS[reaction]
    if quoted:
        if len(quoted) > QUOTE_LIMIT:
            quoted = quoted[:QUOTE_LIMIT].rstrip() + "…"
        return f"{verb} \u201c{quoted}\u201d"
    return f"{verb} {description or '1 Business Message'}"
