"""Apple's transport limits and the shape of ``richLinkData`` (spec §4, §7.4, §8).

These are wire rules, not library rules: anything the core sends obeys them,
whoever built the payload.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

# Above this size Apple wants the payload sent with ``include-data-ref`` (spec §8).
LARGE_PAYLOAD_BYTES = 10 * 1024
# A rich link's image travels inline, Base64, and Apple caps it (spec §7.4).
RICH_LINK_IMAGE_MAX_BYTES = 200 * 1024
MAX_URL_LENGTH = 2048
MAX_TITLE_LENGTH = 512


def payload_size(payload: Mapping[str, Any]) -> int:
    """Bytes of the payload as sent (compact JSON, UTF-8)."""
    return len(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode())


def needs_data_ref(payload: Mapping[str, Any]) -> bool:
    """Whether to send with ``include-data-ref: true`` (spec §8)."""
    return payload_size(payload) > LARGE_PAYLOAD_BYTES


def rich_link_data(
    *, url: str, title: str = "", image_b64: str = "", image_mime: str = ""
) -> dict[str, Any]:
    """``richLinkData`` for a ``type: "richLink"`` message; the title defaults to
    the host name. Raises ``ValueError`` for a URL Apple would refuse."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url[:80]!r}")
    if len(url) > MAX_URL_LENGTH:
        raise ValueError(f"URL longer than {MAX_URL_LENGTH} characters")
    link: dict[str, Any] = {
        "url": url,
        "title": (title or parts.hostname)[:MAX_TITLE_LENGTH],
    }
    if image_b64:
        link["assets"] = {"image": {"data": image_b64, "mimeType": image_mime}}
    return link
