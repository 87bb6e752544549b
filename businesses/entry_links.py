"""Entry links (spec §10): building ``bcrw.apple.com`` URLs and their QR codes.

Pure functions, no models: the rules for what may go into a link live here so the
form, the API and the tests share them.
"""

from __future__ import annotations

import io
import re
from urllib.parse import quote

import segno

ENTRY_LINK_BASE = "https://bcrw.apple.com/urn:biz:"
# Intent and group ride in the query string and come back verbatim in the
# customer's first message, so only RFC 3986 unreserved characters are allowed:
# nothing that needs escaping and nothing Apple could re-encode differently.
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9._~-]+$")
TOKEN_MAX_LENGTH = 128
BODY_MAX_LENGTH = 1000


def token_error(value: str, *, label: str) -> str | None:
    """Why ``value`` cannot be an intent or group id, or None when it can."""
    if not value:
        return None
    if len(value) > TOKEN_MAX_LENGTH:
        return f"The {label} can have at most {TOKEN_MAX_LENGTH} characters."
    if not TOKEN_PATTERN.match(value):
        bad = sorted({ch for ch in value if not TOKEN_PATTERN.match(ch)})
        shown = " ".join(repr(ch) if ch != " " else "space" for ch in bad)
        return (
            f"The {label} may only use letters, digits and - . _ ~ "
            f"(not {shown}): reserved characters would be changed on the way."
        )
    return None


def body_error(value: str) -> str | None:
    if len(value) > BODY_MAX_LENGTH:
        return f"The prefilled message can have at most {BODY_MAX_LENGTH} characters."
    if "\x00" in value:
        return "The prefilled message cannot contain NUL characters."
    return None


def entry_link(
    *, business_apple_id: str, intent: str = "", group: str = "", body: str = ""
) -> str:
    """The customer-facing link; every value is percent-encoded (spaces as %20)."""
    params = [
        ("biz-intent-id", intent),
        ("biz-group-id", group),
        ("body", body),
    ]
    query = "&".join(f"{key}={quote(value, safe='')}" for key, value in params if value)
    link = ENTRY_LINK_BASE + quote(business_apple_id, safe="")
    return f"{link}?{query}" if query else link


def qr_png(url: str, *, scale: int = 8) -> bytes:
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def qr_svg(url: str, *, scale: int = 8) -> bytes:
    buffer = io.BytesIO()
    segno.make(url, error="m").save(
        buffer, kind="svg", scale=scale, border=4, xmldecl=True, svgns=True
    )
    return buffer.getvalue()
