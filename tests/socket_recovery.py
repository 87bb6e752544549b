"""Agents' sockets across a Redis restart (issue 14, item 11), against real
processes: what an open socket is told, what handshakes answer while Redis is
down, and how soon a push reaches a socket opened after it is back.

Shared by tests/e2e/test_recovery_e2e.py and bench/recovery.py.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from tests.helpers import inbound_body, inbound_request
from tests.live import LiveStack, RedisServer, apple_bearer

CLOSE_LAYER_UNAVAILABLE = 4503


@dataclass
class SocketRecovery:
    scenario: str
    seconds: float
    open_socket_close_code: int | None
    handshake_statuses: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.open_socket_close_code == CLOSE_LAYER_UNAVAILABLE and not any(
            s.startswith("5") for s in self.handshake_statuses
        )

    def line(self) -> str:
        return (
            f"{self.scenario}: a push reached a new socket {self.seconds:.1f} s after "
            f"Redis was back; the open socket closed with "
            f"{self.open_socket_close_code}; handshakes meanwhile "
            f"{self.handshake_statuses}"
        )


def _customer_writes(stack: LiveStack, customer: str, text: str) -> None:
    body = inbound_body(
        business_id=stack.business_apple_id, customer_id=customer, body=text
    )
    content, headers = inbound_request(body, authorization=apple_bearer())
    httpx.post(
        f"{stack.base_url}/message", content=content, headers=headers, timeout=15
    ).raise_for_status()


def _handshake(stack: LiveStack, cookie: str) -> tuple[str, ClientConnection | None]:
    """One attempt: ("hello", socket) when it is live, else what it answered."""
    headers = {"Cookie": cookie, "Origin": stack.base_url}
    try:
        ws = connect(
            stack.agent_socket_url,
            additional_headers=headers,
            open_timeout=5,
            legacy=True,
        )
    except InvalidStatus as exc:
        return str(exc.response.status_code), None
    except (OSError, TimeoutError) as exc:
        return type(exc).__name__, None
    try:
        first = json.loads(ws.recv(timeout=5))
    except ConnectionClosed as exc:
        ws.close()
        code = exc.rcvd.code if exc.rcvd is not None else None
        return f"closed {code}", None
    except TimeoutError:
        ws.close()
        return "silent", None
    if first.get("type") == "hello":
        return "hello", ws
    ws.close()
    return f"unexpected {first.get('type')}", None


def _next_text(ws: ClientConnection, text: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            event: dict[str, Any] = json.loads(ws.recv(timeout=0.5))
        except TimeoutError:
            continue
        if event.get("type") == "message.created" and event["data"]["text"] == text:
            return True
    return False


def socket_after_redis_restart(
    stack: LiveStack, redis: RedisServer, *, down_seconds: float = 2, bound: float = 60
) -> SocketRecovery:
    customer = f"urn:mbid:AQAAY-sock-{uuid.uuid4().hex[:8]}"
    _customer_writes(stack, customer, "before the restart")
    cookie = stack.agent_cookie()
    status, ws = _handshake(stack, cookie)
    assert ws is not None, status
    statuses: dict[str, int] = {}
    close_code: int | None = None
    redis.stop()
    try:
        try:
            while True:
                ws.recv(timeout=10)
        except ConnectionClosed as exc:
            close_code = exc.rcvd.code if exc.rcvd is not None else None
        except TimeoutError:
            close_code = None  # still open but deaf: the failure this guards against
        ws.close()
        down_until = time.monotonic() + down_seconds
        while time.monotonic() < down_until:
            status, probe = _handshake(stack, cookie)
            statuses[status] = statuses.get(status, 0) + 1
            if probe is not None:
                probe.close()
            time.sleep(0.2)
    finally:
        redis.start()
    back = time.monotonic()
    # What the console does: retry the handshake shortly until it says hello,
    # then a customer writes and the push must arrive on that socket.
    live: ClientConnection | None = None
    while live is None and time.monotonic() < back + bound:
        status, live = _handshake(stack, cookie)
        statuses[status] = statuses.get(status, 0) + 1
        if live is None:
            time.sleep(0.5)
    assert live is not None, f"no socket within {bound} s: {statuses}"
    with live:
        text = f"after the restart {uuid.uuid4().hex[:6]}"
        _customer_writes(stack, customer, text)
        assert _next_text(live, text, bound), "the push never arrived"
    return SocketRecovery(
        scenario="socket after a Redis restart",
        seconds=time.monotonic() - back,
        open_socket_close_code=close_code,
        handshake_statuses=statuses,
    )
