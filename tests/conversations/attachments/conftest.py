"""A small MMCS behind the ``apple_gateway`` stand-in: preUpload/upload and
preDownload/download with real AES-256-CTR, for unit tests of attachments."""

from __future__ import annotations

import base64
import hashlib
import io
import itertools
import json
from dataclasses import dataclass, field

import httpx
import pytest
from PIL import Image

from conversations.apple.crypto import encrypt_bytes, key_to_wire, new_key
from tests.conftest import AppleGatewayStandIn


@dataclass
class FakeMmcs:
    gateway: AppleGatewayStandIn
    blobs: dict[str, bytes] = field(default_factory=dict)  # mmcs-url → encrypted
    uploads: int = 0
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self.gateway.routes["/v1/preUpload"] = self.pre_upload
        self.gateway.routes["/v1/preDownload"] = self.pre_download

    def pre_upload(self, request: httpx.Request) -> httpx.Response:
        n = next(self._ids)
        url = f"https://mmcs.test/{n}"
        self.gateway.routes[f"/mmcs/upload/{n}"] = lambda r: self.upload(r, url)
        return httpx.Response(
            200,
            json={
                "upload-url": f"http://apple.test/mmcs/upload/{n}",
                "mmcs-url": url,
                "mmcs-owner": f"owner-{n}",
            },
        )

    def upload(self, request: httpx.Request, url: str) -> httpx.Response:
        self.uploads += 1
        self.blobs[url] = request.content
        checksum = base64.b64encode(b"\x01" + hashlib.sha1(request.content).digest())  # noqa: S324
        return httpx.Response(
            200, json={"singleFile": {"fileChecksum": checksum.decode()}}
        )

    def pre_download(self, request: httpx.Request) -> httpx.Response:
        url = request.headers["MMCS-Url"]
        if url not in self.blobs:
            return httpx.Response(404, json={"error": "no such file"})
        path = f"/mmcs/download/{hashlib.sha1(url.encode()).hexdigest()}"  # noqa: S324
        self.gateway.routes[path] = lambda r: httpx.Response(
            200, content=self.blobs[url]
        )
        return httpx.Response(200, json={"download-url": f"http://apple.test{path}"})

    def put(self, plain: bytes, *, name: str, mime: str, older: bool = False) -> dict:
        """Store a file as a customer's device would; return its inbound descriptor."""
        key = new_key()
        n = next(self._ids)
        url = f"https://mmcs.test/in-{n}"
        self.blobs[url] = encrypt_bytes(key, plain)
        signature = hashlib.sha1(self.blobs[url]).digest().hex()  # noqa: S324
        if older:
            return {
                "name": name,
                "mime-type": mime,
                "file-size": str(len(plain)),
                "signature-base64": base64.b64encode(bytes.fromhex(signature)).decode(),
                "mmcs-url": url,
                "mmcs-owner": f"owner-{n}",
                "decryption-key": key_to_wire(key).upper(),
            }
        return {
            "name": name,
            "mimeType": mime,
            "size": str(len(plain)),
            "signature": signature,
            "url": url,
            "owner": f"owner-{n}",
            "key": key_to_wire(key),
        }

    def sent_messages(self) -> list[dict]:
        return [
            json.loads(r.content)
            for r in self.gateway.requests
            if r.path == "/v1/message"
        ]


@pytest.fixture
def mmcs(apple_gateway: AppleGatewayStandIn) -> FakeMmcs:
    return FakeMmcs(apple_gateway)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def png_bytes(size: tuple[int, int] = (640, 400)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "PNG")
    return out.getvalue()
