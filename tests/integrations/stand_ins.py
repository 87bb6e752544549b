"""A business's systems and Apple Pay, played by one local HTTP server in the test
process: OAuth token endpoint, merchant session endpoint, payment processor hook
and a webhook receiver. Every signed request is checked with its own HMAC code."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

CLIENT_ID = "msp-client"
CLIENT_SECRET = "client-secret-for-tests"
PROCESSOR_SECRET = "processor-secret-for-tests"
WEBHOOK_SECRET = "whsec_receiver-secret-for-tests"


def verify_signature(
    secret: str, header: str, body: bytes, tolerance: int = 300
) -> bool:
    """What a business's receiver does with ``X-MSP-Signature: t=…,v1=…``."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - timestamp) > tolerance:
        return False
    expected = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, parts.get("v1", ""))


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    signature_ok: bool | None = None

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class StandIn:
    url: str = ""
    requests: list[Received] = field(default_factory=list)
    # None: a 2xx without a status (a processor, or a page, that says nothing).
    processor_status: str | None = "STATUS_SUCCESS"
    hook_failures: list[int] = field(default_factory=list)
    token_failures: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def received(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if r.path == path]

    def answer(
        self, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, Any]:
        record = Received(path, headers, body)
        with self.lock:
            self.requests.append(record)
        if path == "/oauth/token":
            return self._token(headers, body)
        if path == "/applepay/paymentSession":
            request = json.loads(body)
            return 200, {
                "epochTimestamp": int(time.time() * 1000),
                "expiresAt": int(time.time() * 1000) + 3_600_000,
                "merchantSessionIdentifier": "SSH-stand-in",
                "nonce": "a1b2c3d4",
                "merchantIdentifier": request["merchantIdentifier"],
                "displayName": request["displayName"],
                "domainName": "pay.example.com",
                "signature": base64.b64encode(b"stand-in").decode(),
            }
        if path == "/processor":
            record.signature_ok = verify_signature(
                PROCESSOR_SECRET, headers.get("x-msp-signature", ""), body
            )
            if not record.signature_ok:
                return 401, {"error": "bad signature"}
            if self.processor_status is None:
                return 200, {"charged": True}
            return 200, {"status": self.processor_status}
        if path == "/hooks":
            record.signature_ok = verify_signature(
                WEBHOOK_SECRET, headers.get("x-msp-signature", ""), body
            )
            with self.lock:
                failure = self.hook_failures.pop(0) if self.hook_failures else None
            if failure:
                return failure, {"error": "try again"}
            return (200, {"ok": True}) if record.signature_ok else (401, {})
        return 404, {"error": "no such route"}

    def _token(self, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
        with self.lock:
            failure = self.token_failures.pop(0) if self.token_failures else None
        if failure:
            return failure, {"error": "temporarily_unavailable"}
        expected = (
            "Basic "
            + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        )
        if headers.get("authorization") != expected:
            return 401, {"error": "invalid_client"}
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        code = form.get("code", "")
        if form.get("grant_type") != "authorization_code" or not code.startswith(
            "sandbox-code-"
        ):
            return 400, {"error": "invalid_grant"}
        if not form.get("redirect_uri"):
            return 400, {"error": "invalid_request"}
        username = code.rsplit(".", 1)[-1]
        return 200, {
            "access_token": f"at-{username}",
            "token_type": "Bearer",
            "expires_in": 3600,
            "user_id": username,
            "name": username.title(),
        }


def start_stand_in() -> tuple[StandIn, ThreadingHTTPServer]:
    stand_in = StandIn()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, answer = stand_in.answer(self.path, headers, body)
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    stand_in.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return stand_in, server
