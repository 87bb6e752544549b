"""A local HTTP stand-in for Apple's gateway, for tests with real processes.

It checks what Apple checks on every call (JWT, headers, envelope) independently
of our client code, records what passed, and can answer with errors on demand.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt

REQUIRED_HEADERS = ("id", "source-id", "destination-id", "authorization")


@dataclass
class Received:
    headers: dict[str, str]
    body: dict[str, Any]
    raw: bytes


@dataclass
class GatewayStandIn:
    msp_id: str
    secret_b64: str
    received: list[Received] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    failures: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None
    # Seconds each answer takes, like a real gateway across the internet.
    delay: float = 0.0

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def fail_next(self, times: int, status: int) -> None:
        with self.lock:
            self.failures.extend([status] * times)

    def check(self, headers: dict[str, str], raw: bytes) -> tuple[int, str]:
        for name in REQUIRED_HEADERS:
            if not headers.get(name):
                return (
                    401 if name == "authorization" else 400
                ), f"missing header {name}"
        token = headers["authorization"].removeprefix("Bearer ")
        if jwt.get_unverified_header(token).get("alg") != "HS256":
            return 403, "alg must be HS256"
        try:
            claims = jwt.decode(
                token,
                base64.b64decode(self.secret_b64),
                algorithms=["HS256"],
                options={"require": ["iss", "iat"]},
            )
        except jwt.PyJWTError as exc:
            return 403, f"bad token: {exc}"
        if claims["iss"] != self.msp_id or abs(time.time() - claims["iat"]) > 3600:
            return 403, "wrong iss or stale iat"
        if headers.get("content-type", "").split(";")[0] != "application/json":
            return 400, "content-type must be application/json"
        try:
            body = json.loads(raw.decode("utf-8"))
        except ValueError:
            return 400, "body is not UTF-8 JSON"
        expected = {
            "id": headers["id"],
            "sourceId": headers["source-id"],
            "destinationId": headers["destination-id"],
            "v": 1,
        }
        for key, value in expected.items():
            if body.get(key) != value:
                return 400, f"body {key} does not match"
        return 200, ""

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        arrived = time.monotonic()
        raw = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        headers = {k.lower(): v for k, v in handler.headers.items()}
        with self.lock:
            forced = self.failures.pop(0) if self.failures else None
        status, reason = self.check(headers, raw)
        if status == 200 and forced is not None:
            status, reason = forced, "forced failure"
        if status == 200:
            with self.lock:
                self.received.append(Received(headers, json.loads(raw), raw))
        else:
            with self.lock:
                self.rejected.append(f"{status} {reason}")
        payload = json.dumps({"error": reason}).encode() if reason else b""
        if self.delay:
            # The answer leaves ``delay`` after the request came in, however
            # long the checks above took (they are ours, not the network's).
            time.sleep(max(0.0, self.delay - (time.monotonic() - arrived)))
        handler.send_response(status)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)

    def start(self) -> GatewayStandIn:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            # Keep-alive, as Apple's gateway: a connection per call would make
            # the client's handshakes part of every answer's time.
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                stand_in.handle(self)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()

    def messages(self, type_: str = "text") -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.body.get("type") == type_]
