"""Build Apple's inbound traffic the way Apple sends it: signed, gzip'd, with headers."""

from __future__ import annotations

import gzip
import json
import uuid
from pathlib import Path
from typing import Any

from conversations.apple.auth import apple_token_for_inbound

FIXTURES = Path(__file__).parent / "fixtures" / "apple"
ALL_CAPABILITIES = "QUICK,LIST,TIME,AUTH,AUTH2,FORM"


def load_apple_fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def apple_auth_header(**kwargs: Any) -> str:
    return f"Bearer {apple_token_for_inbound(**kwargs)}"


def inbound_body(
    *,
    business_id: str,
    customer_id: str = "urn:mbid:AQAAY-customer-one",
    type_: str = "text",
    message_id: str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    return {
        "id": message_id or str(uuid.uuid4()),
        "sourceId": customer_id,
        "destinationId": business_id,
        "v": 1,
        "type": type_,
        "locale": "en_US",
        **fields,
    }


def inbound_request(
    body: dict[str, Any],
    *,
    capabilities: str = ALL_CAPABILITIES,
    device_agent: str = "iPhone OS",
    gzipped: bool = True,
    authorization: str | None = None,
) -> tuple[bytes, dict[str, str]]:
    """Return (bytes, headers) for one webhook, as Apple's gateway would post it."""
    raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
    headers = {
        "Authorization": authorization
        if authorization is not None
        else apple_auth_header(),
        "id": body["id"],
        "source-id": body["sourceId"],
        "destination-id": body["destinationId"],
        "capability-list": capabilities,
        "device-agent": device_agent,
        "Content-Type": "application/json",
    }
    if gzipped:
        raw = gzip.compress(raw)
        headers["Content-Encoding"] = "gzip"
    return raw, headers


def django_headers(headers: dict[str, str]) -> dict[str, str]:
    """Django's test client takes headers= directly; drop Content-Type (passed apart)."""
    return {k: v for k, v in headers.items() if k != "Content-Type"}
