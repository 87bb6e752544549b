"""The simulated Apple gateway (``/sandbox/v1/…``): async views, ORM work off the shared thread.

Async because in single-process mode the platform's own sync code may call this
gateway synchronously on the same server; ORM calls therefore run through
``sync_to_async(thread_sensitive=False)`` and never queue behind that caller.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Awaitable, Callable, Coroutine
from functools import wraps
from typing import Any

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import close_old_connections
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from . import gateway, mmcs, realtime, services
from .control import apply_misbehaviour, gateway_control
from .gateway import GatewayError, bad
from .models import SandboxUpload

logger = logging.getLogger(__name__)

AsyncView = Callable[..., Coroutine[Any, Any, HttpResponseBase]]


def db(function: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    """Run ORM code in a worker thread of its own, with fresh connections."""

    def run(*args: Any, **kwargs: Any) -> Any:
        close_old_connections()
        try:
            return function(*args, **kwargs)
        finally:
            close_old_connections()

    return sync_to_async(run, thread_sensitive=False)


def error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def gateway_endpoint(
    method: str, *, authenticated: bool = True
) -> Callable[[AsyncView], AsyncView]:
    """Method check, misbehaviour switches, JWT check and GatewayError → JSON, for every endpoint."""

    def decorate(view: AsyncView) -> AsyncView:
        @csrf_exempt
        @wraps(view)
        async def wrapper(
            request: HttpRequest, *args: Any, **kwargs: Any
        ) -> HttpResponseBase:
            if request.method != method:
                return error(405, f"use {method}")
            fail_status = await apply_misbehaviour()
            if fail_status is not None:
                return error(fail_status, "simulated failure (sandbox _control)")
            try:
                if authenticated:
                    gateway.verify_authorization(
                        request.headers.get("Authorization"),
                        msp_id=settings.MSP_ID,
                        secrets=list(settings.MSP_SECRETS),
                    )
                return await view(request, *args, **kwargs)
            except GatewayError as exc:
                logger.info("sandbox.gateway.refused %s %s", exc.status, exc.message)
                return error(exc.status, exc.message)

        return wrapper

    return decorate


async def _accept_message(request: HttpRequest, *, endpoint: str) -> HttpResponse:
    message_id, source_id, destination_id = gateway.check_message_headers(
        request.headers
    )
    body = gateway.parse_json_body(request.headers, request.body)
    kind = gateway.check_envelope(
        body, message_id=message_id, source_id=source_id, destination_id=destination_id
    )
    feature = None
    attachments: list[dict[str, Any]] = []
    if endpoint == "authenticate" and kind != "interactive":
        raise bad("/authenticate takes only interactive authentication requests")
    if kind == "text":
        attachments = gateway.check_text(body)
    elif kind in ("typing_start", "typing_end"):
        gateway.check_typing(body)
    elif kind == "richLink":
        gateway.check_rich_link(body)
    else:
        feature = gateway.check_interactive(body, endpoint=endpoint)
    accepted = await db(services.gateway_accept)(
        message_id=message_id,
        source_id=source_id,
        destination_id=destination_id,
        kind=kind,
        feature=feature,
        body=body,
        attachments=attachments,
        endpoint=endpoint,
        include_data_ref=request.headers.get("include-data-ref", "").lower() == "true",
    )
    layer = get_channel_layer()
    if layer is not None:
        group = realtime.customer_group(accepted.customer_key)
        if kind in ("typing_start", "typing_end"):
            await layer.group_send(group, realtime.typing_event(kind == "typing_start"))
        elif accepted.message is not None:
            await layer.group_send(group, realtime.message_event(accepted.message))
    if accepted.data_ref is not None:
        return JsonResponse({"dataRef": accepted.data_ref})
    return HttpResponse(status=200)


@gateway_endpoint("POST")
async def message(request: HttpRequest) -> HttpResponse:
    return await _accept_message(request, endpoint="message")


@gateway_endpoint("POST")
async def authenticate(request: HttpRequest) -> HttpResponse:
    return await _accept_message(request, endpoint="authenticate")


@gateway_endpoint("GET")
async def pre_upload(request: HttpRequest) -> HttpResponse:
    gateway.require_header(request.headers, "Source-Id", "source-id")
    size_text = gateway.require_header(request.headers, "MMCS-Size", "size")
    if (
        not size_text.isdigit()
        or not 0 < int(size_text) <= gateway.MAX_ATTACHMENT_BYTES
    ):
        raise bad("MMCS-Size must be the encrypted size in bytes, 1 to 100 MB")
    upload = await db(SandboxUpload.objects.create)(
        owner=mmcs.new_owner(), declared_size=int(size_text)
    )
    upload_url = request.build_absolute_uri(
        reverse("sandbox:mmcs-upload", args=[str(upload.token)])
    )
    return JsonResponse(
        {
            "upload-url": upload_url,
            "mmcs-url": upload.mmcs_url,
            "mmcs-owner": upload.owner,
        }
    )


@gateway_endpoint("POST", authenticated=False)
async def mmcs_upload(request: HttpRequest, token: str) -> HttpResponse:
    # The upload URL is itself the credential, as Apple's pre-signed URLs are.
    return await db(_store_upload)(request, token)


def _store_upload(request: HttpRequest, token: str) -> HttpResponse:
    upload = SandboxUpload.objects.filter(token=token).first()
    if upload is None:
        return error(404, "no such upload URL")
    if upload.uploaded:
        return error(409, "this upload URL was already used")
    # The request body is spooled to disk by the handler; read it in chunks.
    upload = mmcs.write_upload(upload, mmcs.read_stream(request))
    if upload.size != upload.declared_size:
        return error(
            400,
            f"uploaded {upload.size} bytes but preUpload announced {upload.declared_size}",
        )
    return JsonResponse(
        {
            "singleFile": {
                "fileChecksum": upload.checksum,
                "fileSize": upload.size,
                "receipt": str(upload.token),
            }
        }
    )


@gateway_endpoint("GET")
async def pre_download(request: HttpRequest) -> HttpResponse:
    gateway.require_header(request.headers, "source-id", "Source-Id")
    url = gateway.require_header(request.headers, "MMCS-Url", "url")
    signature = gateway.require_header(request.headers, "MMCS-Signature", "signature")
    owner = gateway.require_header(request.headers, "MMCS-Owner", "owner")
    upload = await db(mmcs.find_by_url)(url)
    if upload is None or not upload.uploaded:
        raise GatewayError(404, "MMCS-Url names no stored file")
    if owner != upload.owner:
        raise bad("MMCS-Owner does not match the file's owner")
    if signature != upload.checksum:
        hint = (
            " (send it as Base64, not hex)"
            if signature.lower() == _hex(upload.checksum)
            else ""
        )
        raise bad(f"MMCS-Signature does not match the file{hint}")
    download_url = request.build_absolute_uri(
        reverse("sandbox:mmcs-download", args=[mmcs.download_token(upload)])
    )
    return JsonResponse({"download-url": download_url})


def _hex(checksum: str) -> str:
    return base64.b64decode(checksum).hex()


@gateway_endpoint("GET", authenticated=False)
async def mmcs_download(request: HttpRequest, token: str) -> HttpResponseBase:
    upload = await db(mmcs.upload_for_download_token)(token)
    if upload is None:
        return error(404, "download URL is unknown or expired")
    # FileResponse closes the file once streamed.
    stream = open(upload.path, "rb")  # noqa: SIM115, ASYNC230
    response = FileResponse(stream, content_type="application/octet-stream")
    response["Content-Length"] = str(upload.size)
    return response


@gateway_endpoint("POST")
async def decode_payload(request: HttpRequest) -> HttpResponse:
    gateway.require_header(request.headers, "source-id", "Source-Id")
    gateway.require_header(request.headers, "bid")
    if not request.body:
        raise bad("body is empty; post the downloaded, decrypted payload bytes")
    try:
        payload = mmcs.decode_payload_bytes(request.body)
    except ValueError as exc:
        raise bad(str(exc)) from exc
    return JsonResponse(payload, safe=False)


@csrf_exempt
async def control(request: HttpRequest) -> HttpResponse:
    """``POST {"fail": {"count", "status"}, "timeout": {"count", "seconds"}, "delay_ms", "reset"}``."""
    if request.method == "GET":
        return JsonResponse(gateway_control.state())
    if request.method != "POST":
        return error(405, "use GET or POST")
    try:
        data = json.loads(request.body or b"{}")
        if not isinstance(data, dict):
            raise ValueError("body must be a JSON object")
        gateway_control.configure(data)
    except (ValueError, json.JSONDecodeError) as exc:
        return error(400, str(exc))
    return JsonResponse(gateway_control.state())
