"""The customer's pages: pick a business, device and entry point, then chat as the customer."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from conversations.apple.crypto import key_from_wire
from conversations.models import Business

from . import mmcs, realtime, services
from .customer import DEVICE_PROFILES, Device, build_inbound, post_inbound, webhook_url
from .gateway_views import db
from .models import SandboxCustomer

MAX_ATTACHMENT_BYTES = 100 * 1024 * 1024
# The business chosen last, so the next customer writes to the same one.
LAST_BUSINESS_COOKIE = "sandbox_business"
LAST_BUSINESS_MAX_AGE = 365 * 24 * 3600


@require_http_methods(["GET", "POST"])
def index(request: HttpRequest) -> HttpResponse:
    businesses = list(Business.objects.order_by("name"))
    if request.method == "POST":
        data = request.POST
        business = data.get("business", "")
        device = data.get("device", "iphone")
        if (
            not any(b.apple_id == business for b in businesses)
            or device not in DEVICE_PROFILES
        ):
            return render(
                request,
                "sandbox/index.html",
                _index_context(businesses, error="Choose a business and a device."),
                status=400,
            )
        customer = services.customer_create(
            business_apple_id=business,
            device=device,
            display_name=data.get("display_name", "").strip()[:100],
            opaque_id=data.get("opaque_id", "").strip(),
            locale=data.get("locale", "en_US").strip()[:16],
            intent=data.get("intent", "").strip()[:255],
            group=data.get("group", "").strip()[:255],
            prefilled_body=data.get("body", ""),
        )
        response = HttpResponseRedirect(reverse("sandbox:chat", args=[customer.key]))
        response.set_cookie(
            LAST_BUSINESS_COOKIE,
            business,
            max_age=LAST_BUSINESS_MAX_AGE,
            samesite="Lax",
            httponly=True,
        )
        return response
    # An entry-point link (spec §10) lands here with its parameters prefilled;
    # otherwise the business chosen last. With several and neither, the page
    # asks rather than picking the first by name (test messages went astray).
    known = {b.apple_id for b in businesses}
    chosen = request.GET.get("business", "")
    if chosen not in known:
        chosen = request.COOKIES.get(LAST_BUSINESS_COOKIE, "")
    if chosen not in known:
        chosen = businesses[0].apple_id if len(businesses) == 1 else ""
    initial = {
        "business": chosen,
        "intent": request.GET.get("biz-intent-id", ""),
        "group": request.GET.get("biz-group-id", ""),
        "body": request.GET.get("body", ""),
    }
    return render(
        request, "sandbox/index.html", _index_context(businesses, initial=initial)
    )


def _index_context(
    businesses: list[Business],
    *,
    error: str = "",
    initial: dict[str, str] | None = None,
) -> dict[str, Any]:
    return {
        "businesses": businesses,
        "devices": [(key, profile.label) for key, profile in DEVICE_PROFILES.items()],
        "customers": SandboxCustomer.objects.order_by("-id")[:20],
        "error": error,
        "initial": initial or {},
    }


@require_GET
def chat(request: HttpRequest, key: str) -> HttpResponse:
    customer = services.customer_get(key=key)
    if customer is None:
        raise Http404("No such sandbox customer.")
    profile = DEVICE_PROFILES[customer.device]
    info = services.customer_data(customer)
    info["capabilities"] = list(profile.capabilities)
    info["device_label"] = profile.label
    info["apps"] = profile.apps
    return render(
        request,
        "sandbox/chat.html",
        {"customer": customer, "customer_info": info, "profile": profile},
    )


@require_GET
def business_file(
    request: HttpRequest, key: str, message_id: int, index: int
) -> HttpResponse | StreamingHttpResponse:
    """Decrypt an attachment the business sent, as the device would show it."""
    customer = services.customer_get(key=key)
    message = (
        services.business_message_get(customer=customer, message_id=message_id)
        if customer
        else None
    )
    attachments = (message.body.get("attachments") or []) if message else []
    if index >= len(attachments):
        raise Http404("No such attachment.")
    item = attachments[index]
    upload = mmcs.find_by_url(str(item.get("url", "")))
    if upload is None or not upload.uploaded:
        raise Http404("The file is gone.")
    response = StreamingHttpResponse(
        mmcs.decrypted_chunks(upload, key_from_wire(item["key"])),
        content_type=str(item.get("mimeType") or "application/octet-stream"),
    )
    response["Content-Disposition"] = f'inline; filename="{item.get("name", "file")}"'
    return response


async def customer_attachment(request: HttpRequest, key: str) -> HttpResponse:
    """Send a file from the device: encrypt, store in the simulated MMCS, post the descriptor.

    Async so that the POST to ``/message`` never waits on the thread sync views share.
    """
    if request.method != "POST":
        return JsonResponse({"error": "use POST"}, status=405)
    customer = await db(services.customer_get)(key=key)
    if customer is None:
        return JsonResponse({"error": "no such sandbox customer"}, status=404)
    prepared = await db(_encrypt_upload)(request)
    if isinstance(prepared, str):
        return JsonResponse({"error": prepared}, status=400)
    descriptor, caption = prepared
    # One object replacement character per attachment (spec §3).
    fields = {
        "body": (caption + " " if caption else "") + "\ufffc",
        "attachments": [descriptor],
    }
    device = Device(
        customer.opaque_id, customer.business_apple_id, customer.device, customer.locale
    )
    inbound = build_inbound(device, "text", fields)
    url = webhook_url(host=request.get_host(), secure=request.is_secure())
    status, error = await post_inbound(url, inbound)
    message = await db(services.customer_message_record)(
        customer=customer,
        apple_id=inbound.message_id,
        kind="text",
        body=inbound.payload,
        status=status,
        error=error,
    )
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    if layer is not None:
        await layer.group_send(
            realtime.customer_group(customer.key), realtime.message_event(message)
        )
    return JsonResponse({"message": message}, status=201 if status == 200 else 502)


def _encrypt_upload(request: HttpRequest) -> tuple[dict[str, str], str] | str:
    upload_file: UploadedFile | None = request.FILES.get("file")
    if upload_file is None:
        return "attach a file in the 'file' field"
    if not upload_file.size or upload_file.size > MAX_ATTACHMENT_BYTES:
        return "a file must be 1 byte to 100 MB"
    upload, key = mmcs.store_encrypted(
        upload_file.chunks(mmcs.CHUNK_BYTES), declared_size=upload_file.size
    )
    mime = upload_file.content_type or "application/octet-stream"
    return mmcs.descriptor(
        upload, key, name=upload_file.name or "file", mime_type=mime
    ), request.POST.get("caption", "")
