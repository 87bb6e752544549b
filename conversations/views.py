"""Apple's inbound webhook: verify, parse, one service call, a fast answer.

Async end to end: the token check and parsing run in the event loop, the one
transaction runs in a worker thread (``sync_to_async``), and the live pushes it
made are awaited here afterwards, so no thread ever waits on the event loop.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import realtime
from .apple.auth import apple_token_verify
from .apple.exceptions import (
    InvalidToken,
    MalformedPayload,
    MissingToken,
    UnsupportedPayload,
)
from .apple.payloads import InboundMessage, parse_inbound
from .services import BusinessNotFound, inbound_event_handle

logger = logging.getLogger(__name__)

# Apple's inbound bodies are small; attachments travel separately (spec §6).
MAX_BODY_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class WebhookAnswer:
    status: int
    error: str = ""
    # What to push to agents, after the answer when the caller can (the edge):
    # Apple's acknowledgement does not wait for the fan-out.
    pushes: list[realtime.Push] = field(default_factory=list)

    def response(self) -> HttpResponse:
        if self.error:
            return JsonResponse({"error": self.error}, status=self.status)
        return HttpResponse(status=self.status)


Handler = Callable[[InboundMessage], Awaitable[list[realtime.Push]]]
# The body, read only once the headers passed; None when it is over the limit.
BodyReader = Callable[[], Awaitable[bytes | None]]


async def webhook_answer(
    headers: Mapping[str, str], read_body: BodyReader, *, handle: Handler | None = None
) -> WebhookAnswer:
    """Everything the webhook does, for the Django view and for the ASGI edge
    (msp_console/edge.py), which answers ``POST /message`` without the
    middleware chain. ``headers`` is case-insensitive; not a byte of the body
    is read before the token and the declared length pass; ``handle`` runs the
    one transaction in a thread of its own. The caller sends the answer's
    pushes (all made after commit)."""
    try:
        apple_token_verify(headers.get("Authorization"))
    except MissingToken:
        return WebhookAnswer(401, "Authorization header missing")
    except InvalidToken as exc:
        return WebhookAnswer(403, f"invalid token: {exc}")
    declared = (headers.get("Content-Length") or "0").strip()
    if not declared.isascii() or not declared.isdecimal():
        return WebhookAnswer(400, "Content-Length is not a number")
    if len(declared) > 12 or int(declared) > MAX_BODY_BYTES:
        return WebhookAnswer(413, "body too large")
    body = await read_body()
    if body is None:
        return WebhookAnswer(413, "body too large")
    try:
        event = parse_inbound(headers, body)
    except UnsupportedPayload as exc:
        # Acknowledge, or Apple keeps redelivering what will never be understood.
        logger.info("apple.webhook.unsupported: %s", exc)
        return WebhookAnswer(200)
    except MalformedPayload as exc:
        return WebhookAnswer(400, f"malformed payload: {exc}")
    try:
        pushes = await (handle or sync_to_async(_handle))(event)
    except BusinessNotFound as exc:
        return WebhookAnswer(404, exc.message)
    return WebhookAnswer(200, pushes=pushes)


@csrf_exempt
@require_POST
async def apple_webhook(request: HttpRequest) -> HttpResponse:
    async def read_body() -> bytes:
        return request.body

    answer = await webhook_answer(request.headers, read_body)
    await realtime.send_collected(answer.pushes)
    return answer.response()


def _handle(event: InboundMessage) -> list[realtime.Push]:
    with realtime.collecting() as pushes:
        inbound_event_handle(event=event)
    return pushes


def _handle_outside_request(event: InboundMessage) -> list[realtime.Push]:
    """``_handle`` for the edge, where no request cycle hands this thread its
    connection: take one (from the pool) and give it back, as Django's
    request_started and request_finished signals do."""
    close_old_connections()
    try:
        return _handle(event)
    finally:
        close_old_connections()


# Webhooks handled at once per process: as many as the database pool's default
# size. At a steady 100 webhooks/s with ten agent sockets, four threads fell
# behind (p99 5.6 s) where eight kept up (p99 0.34 s, bench/latency.py, one
# Daphne process); once a text took one statement, ten measured 0.72-0.76 of
# the minimal app against 0.67-0.70 with eight (bench/inbound.py), and sixteen
# no better than ten.
WEBHOOK_THREADS = 10


def _webhook_threads() -> int:
    """No more than the process's database pool has connections, as each
    thread holds one for its transaction."""
    pool = settings.DATABASES["default"].get("OPTIONS", {}).get("pool")
    size = pool.get("max_size") if isinstance(pool, dict) else None
    return min(int(size or WEBHOOK_THREADS), WEBHOOK_THREADS)


# Not thread-sensitive: concurrent webhooks run side by side instead of
# queueing for one thread.
handle_at_edge: Handler = sync_to_async(
    _handle_outside_request,
    thread_sensitive=False,
    executor=ThreadPoolExecutor(
        max_workers=_webhook_threads(), thread_name_prefix="webhook"
    ),
)
