"""One async view doing the inbound work minimally: verify, parse, store once with
an outbox row in one transaction, publish once."""

from __future__ import annotations

import base64
import gzip
import json

import jwt
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

SECRET = base64.b64decode(settings.MSP_SECRET)
INSERT_MESSAGE = """
    INSERT INTO bench_message (apple_id, source_id, destination_id, body, raw)
    VALUES (%s, %s, %s, %s, %s)
    ON CONFLICT (apple_id) DO NOTHING
    RETURNING id
"""
INSERT_OUTBOX = "INSERT INTO bench_outbox (message_id, event) VALUES (%s, %s)"


def _store(data: dict) -> int | None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            INSERT_MESSAGE,
            [
                data["id"],
                data["sourceId"],
                data["destinationId"],
                data.get("body", ""),
                json.dumps(data),
            ],
        )
        row = cursor.fetchone()
        if row is None:
            return None  # a redelivery: stored once
        cursor.execute(INSERT_OUTBOX, [row[0], "message.received"])
        return int(row[0])


@csrf_exempt
async def message(request: HttpRequest) -> HttpResponse:
    authorization = request.headers.get("Authorization", "")
    if not authorization.startswith("Bearer "):
        return HttpResponse(status=401)
    try:
        jwt.decode(
            authorization[7:], SECRET, algorithms=["HS256"], audience=settings.MSP_ID
        )
    except jwt.InvalidTokenError:
        return HttpResponse(status=403)
    body = request.body
    if body[:2] == b"\x1f\x8b":
        body = gzip.decompress(body)
    data = json.loads(body)
    message_id = await sync_to_async(_store)(data)
    if message_id is not None:
        await get_channel_layer().group_send(
            f"business.{data['destinationId']}",
            {"type": "realtime.push", "payload": {"id": message_id}},
        )
    return HttpResponse(status=200)
