"""Apple's inbound webhook: verify, parse, one service call, a fast answer.

Async end to end: the token check and parsing run in the event loop, the one
transaction runs in a worker thread (``sync_to_async``), and the live pushes it
made are awaited here afterwards, so no thread ever waits on the event loop.
"""

from __future__ import annotations

import logging

from asgiref.sync import sync_to_async
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


def _reject(status: int, reason: str) -> JsonResponse:
    return JsonResponse({"error": reason}, status=status)


@csrf_exempt
@require_POST
async def apple_webhook(request: HttpRequest) -> HttpResponse:
    try:
        apple_token_verify(request.headers.get("Authorization"))
    except MissingToken:
        return _reject(401, "Authorization header missing")
    except InvalidToken as exc:
        return _reject(403, f"invalid token: {exc}")
    declared = (request.headers.get("Content-Length") or "0").strip()
    if not declared.isascii() or not declared.isdecimal():
        return _reject(400, "Content-Length is not a number")
    if len(declared) > 12 or int(declared) > MAX_BODY_BYTES:
        return _reject(413, "body too large")
    try:
        event = parse_inbound(request.headers, request.body)
    except UnsupportedPayload as exc:
        # Acknowledge, or Apple keeps redelivering what will never be understood.
        logger.info("apple.webhook.unsupported: %s", exc)
        return HttpResponse()
    except MalformedPayload as exc:
        return _reject(400, f"malformed payload: {exc}")
    try:
        pushes = await sync_to_async(_handle)(event)
    except BusinessNotFound as exc:
        return _reject(404, exc.message)
    await realtime.send_collected(pushes)
    return HttpResponse()


def _handle(event: InboundMessage) -> list[realtime.Push]:
    with realtime.collecting() as pushes:
        inbound_event_handle(event=event)
    return pushes
