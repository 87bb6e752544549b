"""Files both ways through the live stack with the sandbox as Apple: Daphne, a
Celery worker, PostgreSQL and Redis, real AES-256-CTR and MMCS, SHA-256 compared
end to end."""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

pytestmark = pytest.mark.e2e

MB = 1024 * 1024
SIZES = [1, 5 * MB, 100 * MB]


def wait_for(predicate: Callable[[], Any], seconds: float = 120, what: str = "") -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"not in time: {what}")


def make_file(path: Path, size: int) -> str:
    """Random bytes behind a PDF header (1-byte files are just '%')."""
    digest = hashlib.sha256()
    with path.open("wb") as handle:
        left, first = size, True
        while left:
            chunk = os.urandom(min(left, MB))
            if first:
                chunk = (b"%PDF-1.7\n" + chunk[9:])[: len(chunk)]
                first = False
            handle.write(chunk)
            digest.update(chunk)
            left -= len(chunk)
    return digest.hexdigest()


def sha256_of(response: httpx.Response) -> str:
    digest = hashlib.sha256()
    for chunk in response.iter_bytes(256 * 1024):
        digest.update(chunk)
    return digest.hexdigest()


class Device:
    """One sandbox customer, driven over HTTP as its page would be."""

    def __init__(self, stack: Any) -> None:
        self.stack = stack
        self.http = httpx.Client(base_url=stack.base_url, timeout=120)
        self.http.get("/sandbox/")
        token = self.http.cookies["csrftoken"]
        response = self.http.post(
            "/sandbox/",
            data={
                "business": stack.business_apple_id,
                "device": "iphone",
                "display_name": "Files",
                "csrfmiddlewaretoken": token,
            },
        )
        assert response.status_code == 302, response.text
        self.key = re.search(r"/sandbox/c/([^/]+)/", response.headers["location"])[1]
        self.token = token

    def send_file(self, path: Path, mime: str) -> dict[str, Any]:
        with path.open("rb") as handle:
            response = self.http.post(
                f"/sandbox/c/{self.key}/attachments/",
                files={"file": (path.name, handle, mime)},
                headers={"X-CSRFToken": self.token},
            )
        assert response.status_code == 201, response.text
        return response.json()["message"]

    def messages(self) -> list[dict[str, Any]]:
        url = (
            self.stack.base_url.replace("http://", "ws://") + f"/ws/sandbox/{self.key}/"
        )
        with connect(url, additional_headers={"Origin": self.stack.base_url}) as ws:
            while True:
                frame = json.loads(ws.recv(timeout=10))
                if frame.get("type") == "hello":
                    return frame["messages"]


@pytest.fixture(scope="module")
def device(live_stack: Any) -> Iterator[Device]:
    phone = Device(live_stack)
    yield phone
    phone.http.close()


@pytest.fixture(scope="module")
def api(live_stack: Any) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=live_stack.base_url,
        headers={"Authorization": f"Token {live_stack.agent_token}"},
        timeout=120,
    ) as client:
        yield client


def conversation_id(api: httpx.Client, opaque_id: str) -> int:
    def find() -> int | None:
        results = api.get("/api/v1/conversations/", params={"limit": 200}).json()
        return next(
            (
                c["id"]
                for c in results["results"]
                if c["customer"]["apple_id"] == opaque_id
            ),
            None,
        )

    return wait_for(find, 20, "conversation")


@pytest.mark.parametrize("size", SIZES, ids=["1B", "5MB", "100MB"])
def test_customer_file_arrives_byte_exact(
    size: int, device: Device, api: httpx.Client, tmp_path: Path
) -> None:
    path = tmp_path / f"scan-{size}.pdf"
    expected = make_file(path, size)
    sent = device.send_file(path, "application/pdf")
    assert sent["status"] == 200, sent
    apple_id = sent["apple_id"]
    conversation = conversation_id(api, sent["body"]["sourceId"])

    def stored() -> dict[str, Any] | None:
        page = api.get(
            f"/api/v1/conversations/{conversation}/messages/", params={"limit": 500}
        ).json()["results"]
        message = next((m for m in page if m["apple_id"] == apple_id), None)
        if message and message["attachments"][0]["status"] in ("stored", "failed"):
            return message["attachments"][0]
        return None

    attachment = wait_for(stored, 180, "attachment stored")
    assert attachment["status"] == "stored", attachment
    assert attachment["size"] == size
    assert attachment["name"] == path.name
    with api.stream("GET", attachment["url"]) as response:
        assert response.status_code == 200
        assert sha256_of(response) == expected


@pytest.mark.parametrize("size", SIZES, ids=["1B", "5MB", "100MB"])
def test_agent_file_reaches_the_customer_byte_exact(
    size: int, device: Device, api: httpx.Client, tmp_path: Path
) -> None:
    # The customer writes first so the conversation exists.
    first = tmp_path / "hello.pdf"
    make_file(first, 16)
    opened = device.send_file(first, "application/pdf")
    conversation = conversation_id(api, opened["body"]["sourceId"])

    # One byte cannot look like a PDF; as text it is a plain-text file.
    path = tmp_path / (f"invoice-{size}.pdf" if size > 1 else "note.txt")
    expected = make_file(path, size)
    with path.open("rb") as handle:
        response = api.post(
            f"/api/v1/conversations/{conversation}/attachments/",
            files={"files": (path.name, handle, "application/pdf")},
            data={"text": f"{size} bytes for you"},
        )
    assert response.status_code == 201, response.text
    message = response.json()

    def settled() -> dict[str, Any] | None:
        current = api.get(f"/api/v1/messages/{message['id']}/").json()
        return current if current["status"] in ("sent", "failed") else None

    final = wait_for(settled, 180, "message sent")
    assert final["status"] == "sent", final
    assert final["attachments"][0]["status"] == "uploaded"

    on_device = next(m for m in device.messages() if m["apple_id"] == final["apple_id"])
    assert on_device["body"]["body"] == f"{size} bytes for you\ufffc"
    [descriptor] = on_device["body"]["attachments"]
    assert descriptor["name"] == path.name
    assert int(descriptor["size"]) == size
    with device.http.stream(
        "GET", f"/sandbox/c/{device.key}/files/{on_device['id']}/0/"
    ) as response:
        assert response.status_code == 200
        assert sha256_of(response) == expected


def test_empty_file_is_refused_with_a_clear_error(
    device: Device, api: httpx.Client, tmp_path: Path
) -> None:
    first = tmp_path / "hello.pdf"
    make_file(first, 16)
    opened = device.send_file(first, "application/pdf")
    conversation = conversation_id(api, opened["body"]["sourceId"])
    response = api.post(
        f"/api/v1/conversations/{conversation}/attachments/",
        files={"files": ("empty.pdf", b"", "application/pdf")},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "empty_file"
