"""Decompression bombs: a small file that claims a huge picture is refused from its
header, before Pillow decodes it (issue 13 item 5)."""

from __future__ import annotations

import base64
import io
import struct
import threading
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError

from businesses.services import logo_normalise
from conversations.rich_links import rich_link_data_for
from conversations.safe_image import ImageTooLarge, open_image
from richobjects.image_sizes import _render
from richobjects.models import RichImage
from richobjects.services import (
    RichObjectInvalid,
    rich_image_create,
    rich_object_import,
)

SIDE = 8000  # 64 megapixels of grey: 64 MB decoded, ~60 kB as PNG


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """A valid greyscale PNG of SIDE x SIDE zeros."""
    packer = zlib.compressobj(9)
    row = b"\x00" * (SIDE + 1)  # filter byte + pixels
    idat = b"".join(packer.compress(row) for _ in range(SIDE)) + packer.flush()
    header = struct.pack(">IIBBBBB", SIDE, SIDE, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", idat)
        + _chunk(b"IEND", b"")
    )


def test_the_bomb_is_small_and_refused_from_its_header(bomb: bytes) -> None:
    assert len(bomb) < 200 * 1024
    with pytest.raises(ImageTooLarge):
        open_image(io.BytesIO(bomb))


@pytest.mark.django_db
def test_library_upload_and_import_refuse_it(business, bomb: bytes) -> None:
    with pytest.raises(RichObjectInvalid):
        rich_image_create(business=business, name="bomb", data=bomb)
    report = rich_object_import(
        business,
        {
            "format": "msp-console.richobjects",
            "version": 1,
            "images": [
                {"ref": 1, "name": "bomb", "data": base64.b64encode(bomb).decode()}
            ],
            "objects": [],
        },
    )
    assert not report.ok
    assert not RichImage.objects.exists()


def test_a_stored_bomb_is_not_decoded_when_cut_to_a_bubble(bomb: bytes) -> None:
    with pytest.raises(ImageTooLarge):
        _render(bomb, "large")


def test_a_logo_bomb_is_refused(bomb: bytes) -> None:
    with pytest.raises(ValidationError, match="too many pixels"):
        logo_normalise(data=bomb)


@pytest.fixture
def page_with_bomb(bomb: bytes) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/bomb.png":
                body, kind = bomb, "image/png"
            else:
                body = b'<title>Bikes</title><meta property="og:image" content="/bomb.png">'
                kind = "text/html"
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    cache.clear()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a_rich_link_og_image_bomb_goes_out_without_image(page_with_bomb: str) -> None:
    data = rich_link_data_for(f"{page_with_bomb}/page")
    assert data["title"] == "Bikes"
    # Not the bomb: the small generated image Apple's required assets fall back to.
    image = base64.b64decode(data["assets"]["image"]["data"])
    assert len(image) < 20_000
    assert data["assets"]["image"]["mimeType"] == "image/png"
