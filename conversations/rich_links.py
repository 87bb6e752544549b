"""Rich links: every URL an agent or bot sends goes out as a ``richLink`` (spec §4, §7.4).

How text with URLs is sent (``rich_link_plan``):

- a message that is only a URL becomes one ``richLink`` message (no text);
- text that contains URLs goes out as the text, unchanged, followed by one
  ``richLink`` message per distinct URL (at most ``MAX_LINKS_PER_MESSAGE``),
  so the customer reads the sentence and gets a preview card for each link.

The page is read in the delivery task, never in the request
(``rich_link_data_for``): Open Graph first, then ``<title>`` and the icon, with
a short timeout, a size cap, the image shrunk under Apple's 200 kB, and only
through the safe client (``conversations.safe_http``: no private or loopback
addresses unless ``ALLOWED_PRIVATE_NETWORKS`` opens them). Results are cached; when the page cannot be
read, the link still goes out with its host name as the title.
"""

from __future__ import annotations

import base64
import hashlib
import io
import logging
import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
from django.core.cache import cache

from . import safe_http
from .apple import limits
from .safe_image import open_image

logger = logging.getLogger(__name__)

MAX_LINKS_PER_MESSAGE = 3
FETCH_TIMEOUT_SECONDS = 3.0
MAX_PAGE_BYTES = 512 * 1024
MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_REDIRECTS = 3
CACHE_SECONDS = 60 * 60
# A page that failed may come back soon; do not pin the fallback for an hour.
FALLBACK_CACHE_SECONDS = 5 * 60
IMAGE_MAX_BYTES = limits.RICH_LINK_IMAGE_MAX_BYTES
USER_AGENT = "msp-console-richlink/1.0 (+link preview)"

# Trailing punctuation belongs to the sentence, not the URL.
_URL = re.compile(r"https?://[^\s<>\"'\u00a0]+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}'\"\u00bb\u201d\u2019"


# The URL points somewhere this server must not fetch.
LinkBlocked = safe_http.UnsafeAddress


def urls_in(text: str) -> list[str]:
    """Distinct http(s) URLs in ``text``, in order of appearance."""
    found: list[str] = []
    for match in _URL.finditer(text or ""):
        url = match.group(0).rstrip(_TRAILING)
        parts = urlsplit(url)
        if parts.hostname and url not in found:
            found.append(url)
    return found


def rich_link_plan(text: str) -> tuple[str, list[str]]:
    """``(only_url, extra_urls)``: what goes out for an agent's or bot's text.

    ``only_url`` is set when the whole message is one URL (it is then sent as a
    rich link instead of text); otherwise ``extra_urls`` are sent as rich links
    after the text.
    """
    stripped = (text or "").strip()
    urls = urls_in(stripped)
    if len(urls) == 1 and urls[0] == stripped:
        return urls[0], []
    return "", urls[:MAX_LINKS_PER_MESSAGE]


def fallback_link(url: str) -> dict[str, Any]:
    """The plain rich link: the URL with its host name as title."""
    return {"url": url, "title": urlsplit(url).hostname or url}


# --- fetching --------------------------------------------------------------------------


def _check_scheme(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise LinkBlocked(f"not an http(s) URL: {url!r}")


def _get(client: httpx.Client, url: str, limit: int) -> tuple[str, str, bytes]:
    """GET with redirects followed hop by hop (each connection is checked by the
    safe client); ``(final_url, content_type, body)``."""
    for _ in range(MAX_REDIRECTS + 1):
        _check_scheme(url)
        with client.stream("GET", url) as response:
            if response.is_redirect and response.headers.get("location"):
                url = urljoin(url, response.headers["location"])
                continue
            if response.status_code != 200:
                raise httpx.HTTPStatusError(
                    f"status {response.status_code}",
                    request=response.request,
                    response=response,
                )
            body = safe_http.read_capped(
                response, limit=limit, seconds=FETCH_TIMEOUT_SECONDS * 2
            )
            content_type = response.headers.get("content-type", "").split(";")[0]
            return url, content_type.strip().lower(), body
    raise ValueError(f"{url}: too many redirects")


class _PageMeta(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.icons: list[str] = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k.lower(): (v or "") for k, v in attrs}
        if tag == "meta":
            key = (values.get("property") or values.get("name") or "").lower()
            if key and values.get("content") and key not in self.meta:
                self.meta[key] = values["content"].strip()
        elif tag == "link":
            rel = values.get("rel", "").lower().split()
            if values.get("href") and ("icon" in rel or "apple-touch-icon" in rel):
                # The touch icon is the larger one: prefer it.
                if "apple-touch-icon" in rel:
                    self.icons.insert(0, values["href"])
                else:
                    self.icons.append(values["href"])
        elif tag == "title" and not self.title:
            self._in_title = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


def _shrink(data: bytes) -> tuple[bytes, str] | None:
    """The image re-encoded under Apple's 200 kB, or None when it is no image."""
    from PIL import Image, UnidentifiedImageError

    try:
        image = open_image(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, ValueError):  # ImageTooLarge too
        return None
    mime = Image.MIME.get(image.format or "", "")
    if len(data) <= IMAGE_MAX_BYTES and mime in (
        "image/png",
        "image/jpeg",
        "image/gif",
    ):
        return data, mime
    image = image.convert("RGB")
    side = 1200
    quality = 85
    while True:
        image.thumbnail((side, side))
        out = io.BytesIO()
        image.save(out, format="JPEG", quality=quality, optimize=True)
        if out.tell() <= IMAGE_MAX_BYTES or side <= 64:
            return out.getvalue(), "image/jpeg"
        side = int(side * 0.75)
        quality = max(50, quality - 10)


def _fetch(url: str) -> dict[str, Any]:
    timeout = httpx.Timeout(FETCH_TIMEOUT_SECONDS)
    headers = {"User-Agent": USER_AGENT, "Accept": "text/html,image/*;q=0.8"}
    with safe_http.client(timeout=timeout, headers=headers) as client:
        final_url, content_type, body = _get(client, url, MAX_PAGE_BYTES)
        link = fallback_link(url)
        image_url = ""
        if content_type.startswith("image/"):
            image_bytes: bytes | None = body
        else:
            parser = _PageMeta()
            parser.feed(body.decode("utf-8", errors="replace"))
            title = (
                parser.meta.get("og:title")
                or parser.meta.get("twitter:title")
                or " ".join(parser.title.split())
            )
            if title:
                link["title"] = title[:512]
            # The page's image first, then its icon (spec §7.4): the first one
            # that arrives and decodes is used.
            candidates = [
                parser.meta.get("og:image")
                or parser.meta.get("og:image:url")
                or parser.meta.get("twitter:image")
                or "",
                *parser.icons[:2],
                "/favicon.ico",
            ]
            image_bytes = None
            for image_url in dict.fromkeys(c for c in candidates if c):
                try:
                    _, _, fetched = _get(
                        client, urljoin(final_url, image_url), MAX_IMAGE_BYTES
                    )
                except (httpx.HTTPError, ValueError, LinkBlocked) as exc:
                    logger.info(
                        "richlink.image_unavailable",
                        extra={"url": url, "error": str(exc)},
                    )
                    continue
                if _shrink(fetched) is not None:
                    image_bytes = fetched
                    break
        shrunk = _shrink(image_bytes) if image_bytes else None
        if shrunk is not None:
            data, mime = shrunk
            link["image"] = {"data": base64.b64encode(data).decode(), "mime_type": mime}
    return link


def _logo_image(logo_url: str) -> tuple[bytes, str] | None:
    if not logo_url:
        return None
    timeout = httpx.Timeout(FETCH_TIMEOUT_SECONDS)
    try:
        with safe_http.client(timeout=timeout, headers={"User-Agent": USER_AGENT}) as c:
            _, _, body = _get(c, logo_url, MAX_IMAGE_BYTES)
    except (httpx.HTTPError, ValueError, LinkBlocked) as exc:
        logger.info("richlink.logo_unavailable", extra={"error": str(exc)})
        return None
    return _shrink(body)


def generated_image(url: str) -> tuple[bytes, str]:
    """A small PNG with the host's initial: the last resort for ``assets``."""
    from PIL import Image, ImageDraw, ImageFont

    host = (urlsplit(url).hostname or "?").removeprefix("www.")
    initial = (host[:1] or "?").upper()
    # A stable colour per host, so a link looks the same every time.
    shade = hashlib.sha256(host.encode()).digest()
    image = Image.new("RGB", (120, 120), (shade[0] // 2, shade[1] // 2, 96))
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=72)
    draw.text((60, 60), initial, fill="white", font=font, anchor="mm")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue(), "image/png"


def with_assets(data: dict[str, Any], *, logo_url: str = "") -> dict[str, Any]:
    """``data`` with ``assets`` as Apple requires them (spec §7.4): the page's
    image or icon when it had one, else the business's logo, else a generated
    image."""
    if isinstance(data.get("assets"), dict) and data["assets"].get("image"):
        return data
    image = _logo_image(logo_url) or generated_image(str(data.get("url") or ""))
    payload, mime = image
    return {
        **data,
        "assets": {
            "image": {"data": base64.b64encode(payload).decode(), "mimeType": mime}
        },
    }


def given_link_with_assets(
    data: dict[str, Any], *, logo_url: str = ""
) -> dict[str, Any]:
    """A link composed elsewhere (the rich-object library: url, title, maybe a
    video) completed by the same rule as typed links when it has no image: the
    page's image or icon, else the business's logo, else a generated image. Its
    own title and video stay. Runs in the delivery task; never raises."""
    assets = data.get("assets")
    if isinstance(assets, dict) and assets.get("image"):
        return data
    page = _page_link_data(str(data.get("url") or ""))
    image = (page.get("assets") or {}).get("image")
    if not image:
        image = with_assets(page, logo_url=logo_url)["assets"]["image"]
    return {
        **data,
        "assets": {**(assets if isinstance(assets, dict) else {}), "image": image},
    }


def rich_link_data_for(url: str, *, logo_url: str = "") -> dict[str, Any]:
    """``richLinkData`` for ``url`` with its ``assets``; never raises (a failed
    fetch gives the link with the logo or a generated image)."""
    return with_assets(_page_link_data(url), logo_url=logo_url)


def _page_link_data(url: str) -> dict[str, Any]:
    key = "richlinks:" + hashlib.sha256(url.encode()).hexdigest()
    cached = cache.get(key)
    if isinstance(cached, dict):
        return cached
    seconds = CACHE_SECONDS
    try:
        spec = _fetch(url)
        image = spec.get("image") or {}
        data = limits.rich_link_data(
            url=spec["url"],
            title=spec.get("title") or "",
            image_b64=image.get("data", ""),
            image_mime=image.get("mime_type", ""),
        )
    except (httpx.HTTPError, ValueError, LinkBlocked) as exc:
        logger.info("richlink.fallback", extra={"url": url, "error": str(exc)})
        seconds = FALLBACK_CACHE_SECONDS
        try:
            data = limits.rich_link_data(url=url)
        except ValueError:
            # Not even a valid URL: send it as it was typed.
            data = {"url": url, "title": url}
    cache.set(key, data, seconds)
    return data
