"""Apple's inbound webhook: verify, parse, one service call, a fast answer."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .apple.auth import apple_token_verify
from .apple.exceptions import (
    InvalidToken,
    MalformedPayload,
    MissingToken,
    UnsupportedPayload,
)
from .apple.payloads import parse_inbound
from .services import BusinessNotFound, inbound_event_handle

logger = logging.getLogger(__name__)

# Apple's inbound bodies are small; attachments travel separately (spec §6).
MAX_BODY_BYTES = 4 * 1024 * 1024


def _reject(status: int, reason: str) -> JsonResponse:
    return JsonResponse({"error": reason}, status=status)


@csrf_exempt
@require_POST
def apple_webhook(request: HttpRequest) -> HttpResponse:
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
        inbound_event_handle(event=event)
    except BusinessNotFound as exc:
        return _reject(404, exc.message)
    return HttpResponse()
