"""A small local web site for rich-link tests: pages with and without Open
Graph, an icon, a redirect, a huge page."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from PIL import Image


def big_png() -> bytes:
    # Noise does not compress: well over 200 kB as PNG.
    image = Image.effect_noise((700, 700), 80).convert("RGB")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


PAGES: dict[str, tuple[str, bytes]] = {
    "/og": (
        "text/html; charset=utf-8",
        b"""<html><head><title>Ignored title</title>
        <meta property="og:title" content="Gravel 700 &amp; friends">
        <meta property="og:image" content="/big.png">
        </head><body>hi</body></html>""",
    ),
    "/plain": (
        "text/html",
        b"<html><head><title> Acme   Bikes </title>"
        b'<link rel="icon" href="/icon.png"></head></html>',
    ),
    "/redirect": ("", b""),
}


@contextmanager
def serve_pages() -> Iterator[str]:
    """A local site: pages with and without Open Graph, an icon, a redirect."""
    icon = io.BytesIO()
    Image.new("RGB", (32, 32), "red").save(icon, format="PNG")
    files = {
        "/big.png": ("image/png", big_png()),
        "/icon.png": ("image/png", icon.getvalue()),
    }

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/redirect":
                self.send_response(302)
                self.send_header("Location", "/plain")
                self.end_headers()
                return
            if self.path == "/huge":
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                self.wfile.write(b"<html>" + b"x" * (2 * 1024 * 1024))
                return
            found = PAGES.get(self.path) or files.get(self.path)
            if found is None:
                self.send_response(404)
                self.end_headers()
                return
            content_type, body = found
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
