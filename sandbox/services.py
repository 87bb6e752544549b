"""Writes and reads of the simulator; plain sync ORM, called from async views via sync_to_async.

The gateway half stores what the platform sent once it passed every check; the
customer half records what the simulated device sent and how ``/message`` answered.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from conversations.apple.crypto import key_from_wire
from conversations.models import Business

from . import mmcs
from .gateway import GatewayError, bad, bubble_title, check_interactive
from .models import SandboxCustomer, SandboxMessage, SandboxUpload

CLOSED_STATUS = (
    410  # Gone: the customer deleted the conversation (see README of the sandbox)
)


@dataclass(frozen=True)
class Accepted:
    """What the gateway view pushes to the customer page and answers after a good request."""

    customer_key: str
    message: dict[str, Any] | None  # None for typing and for a duplicate id
    data_ref: dict[str, Any] | None = None


def message_data(message: SandboxMessage) -> dict[str, Any]:
    """The shape the customer page renders (history and live pushes)."""
    return {
        "id": message.id,
        "apple_id": message.apple_id,
        "from": "customer"
        if message.direction == SandboxMessage.Direction.FROM_CUSTOMER
        else "business",
        "type": message.type,
        "body": message.body,
        "status": message.delivery_status,
        "error": message.delivery_error,
        "at": message.created_at.isoformat(),
    }


def customer_data(customer: SandboxCustomer) -> dict[str, Any]:
    business = Business.objects.filter(apple_id=customer.business_apple_id).first()
    return {
        "key": customer.key,
        "opaque_id": customer.opaque_id,
        "business_apple_id": customer.business_apple_id,
        "business_name": business.name if business else customer.business_apple_id,
        "display_name": customer.display_name,
        "device": customer.device,
        "locale": customer.locale,
        "intent": customer.intent,
        "group": customer.group,
        "prefilled_body": customer.prefilled_body,
        "closed": customer.closed,
    }


# Gateway side -----------------------------------------------------------------


def gateway_accept(
    *,
    message_id: str,
    source_id: str,
    destination_id: str,
    kind: str,
    feature: str | None,
    body: dict[str, Any],
    attachments: list[dict[str, Any]],
    endpoint: str,
    include_data_ref: bool,
) -> Accepted:
    """Apply the checks that need stored state, then store the message; raises GatewayError."""
    customer = SandboxCustomer.objects.filter(
        business_apple_id=source_id, opaque_id=destination_id
    ).first()
    if customer is None:
        raise GatewayError(
            404,
            f"Destination-Id {destination_id!r} is no customer of business {source_id!r}",
        )
    if customer.closed:
        raise GatewayError(
            CLOSED_STATUS,
            "the customer closed the conversation; nothing can be sent until they write again",
        )
    for index, item in enumerate(attachments):
        _check_uploaded(item, f"attachments[{index}]")
    if feature == "dataRef":
        body = dict(body)
        body["interactiveData"] = _resolve_data_ref(
            body["interactiveDataRef"], endpoint
        )
    if kind in ("typing_start", "typing_end"):
        return Accepted(customer_key=customer.key, message=None)
    duplicate = SandboxMessage.objects.filter(
        customer=customer,
        apple_id=message_id,
        direction=SandboxMessage.Direction.FROM_BUSINESS,
    ).exists()
    data_ref = None
    if include_data_ref and kind == "interactive" and "interactiveData" in body:
        data = body["interactiveData"]
        upload, key = mmcs.store_payload(data)
        data_ref = mmcs.answered_data_ref(
            upload, key, bid=data["bid"], title=bubble_title(data)
        )
    if duplicate:
        # A retry with the same id: acknowledged, shown once (spec §4).
        return Accepted(customer_key=customer.key, message=None, data_ref=data_ref)
    message = SandboxMessage.objects.create(
        customer=customer,
        apple_id=message_id,
        direction=SandboxMessage.Direction.FROM_BUSINESS,
        type=kind,
        body=body,
        delivery_status=200,
    )
    return Accepted(
        customer_key=customer.key, message=message_data(message), data_ref=data_ref
    )


def _check_uploaded(item: dict[str, Any], path: str) -> None:
    upload = mmcs.find_by_url(item["url"])
    if upload is None:
        raise bad(f"{path}.url names no file handed out by preUpload")
    if not upload.uploaded:
        raise bad(f"{path}.url: the file was never uploaded")
    if item["owner"] != upload.owner:
        raise bad(f"{path}.owner does not match the mmcs-owner preUpload returned")
    if int(item["size"]) != upload.size:
        raise bad(f"{path}.size {item['size']} is not the uploaded size {upload.size}")
    signature = item.get("signature-base64") or ""
    if signature != upload.checksum:
        raise bad(
            f"{path}.signature-base64 is not the fileChecksum the upload returned"
        )
    key = key_from_wire(item["key"])
    if not mmcs.key_fits_type(upload, key, item["mimeType"]):
        raise bad(f"{path}.key does not decrypt the file to a {item['mimeType']}")


def _resolve_data_ref(ref: dict[str, Any], endpoint: str) -> dict[str, Any]:
    upload = mmcs.find_by_url(ref["url"])
    if upload is None or not upload.uploaded:
        raise bad("interactiveDataRef.url names no stored payload")
    if ref["owner"] != upload.owner:
        raise bad("interactiveDataRef.owner does not match the stored payload")
    signature = ref.get("signature-base64") or _hex_to_base64(ref.get("signature", ""))
    if signature != upload.checksum:
        raise bad("interactiveDataRef signature does not match the stored payload")
    key = _data_ref_key(ref, upload)
    try:
        payload = mmcs.load_payload(upload, key)
    except ValueError as exc:
        raise bad(f"interactiveDataRef does not decrypt to a payload: {exc}") from exc
    data = (
        payload.get("interactiveData", payload) if isinstance(payload, dict) else None
    )
    if not isinstance(data, dict):
        raise bad("interactiveData must be an object")
    check_interactive({"interactiveData": data}, endpoint=endpoint)
    return data


def _data_ref_key(ref: dict[str, Any], upload: SandboxUpload) -> bytes:
    if "key" in ref:
        try:
            return key_from_wire(ref["key"])
        except ValueError as exc:
            raise bad(f"interactiveDataRef.key: {exc}") from exc
    key = mmcs.key_from_data_ref_sig(ref["dataRefSig"], upload)
    if key is None:
        raise bad(
            "interactiveDataRef.dataRefSig was not handed out by this gateway for this payload"
        )
    return key


def _hex_to_base64(text: str) -> str:
    try:
        return base64.b64encode(bytes.fromhex(text)).decode("ascii")
    except ValueError:
        return ""


# Customer side ----------------------------------------------------------------


def customer_create(
    *,
    business_apple_id: str,
    device: str,
    display_name: str = "",
    opaque_id: str = "",
    locale: str = "en_US",
    intent: str = "",
    group: str = "",
    prefilled_body: str = "",
) -> SandboxCustomer:
    """A new simulated device, or the existing one when the opaque id is reused."""
    fields = {
        "device": device,
        "display_name": display_name,
        "locale": locale or "en_US",
        "intent": intent,
        "group": group,
        "prefilled_body": prefilled_body,
        "entry_point_sent": False,
    }
    if opaque_id:
        customer, _ = SandboxCustomer.objects.update_or_create(
            business_apple_id=business_apple_id, opaque_id=opaque_id, defaults=fields
        )
        return customer
    return SandboxCustomer.objects.create(business_apple_id=business_apple_id, **fields)


def customer_get(*, key: str) -> SandboxCustomer | None:
    return SandboxCustomer.objects.filter(key=key).first()


def customer_history(
    *, customer: SandboxCustomer, limit: int = 200
) -> list[dict[str, Any]]:
    messages = list(customer.messages.order_by("-id")[:limit])
    return [message_data(m) for m in reversed(messages)]


def customer_message_record(
    *,
    customer: SandboxCustomer,
    apple_id: str,
    kind: str,
    body: dict[str, Any],
    status: int | None,
    error: str,
) -> dict[str, Any]:
    """Remember what the device sent; `close` and any later message move the closed flag."""
    if status is not None and 200 <= status < 300:
        if kind == "close":
            customer.closed = True
        elif kind not in ("typing_start", "typing_end"):
            customer.closed = False
        if body.get("intent") or body.get("group"):
            customer.entry_point_sent = True
        customer.save(update_fields=["closed", "entry_point_sent"])
    message = SandboxMessage.objects.create(
        customer=customer,
        apple_id=apple_id,
        direction=SandboxMessage.Direction.FROM_CUSTOMER,
        type=kind,
        body=body,
        delivery_status=status,
        delivery_error=error,
    )
    return message_data(message)


def business_message_get(
    *, customer: SandboxCustomer, message_id: int
) -> SandboxMessage | None:
    return customer.messages.filter(
        id=message_id, direction=SandboxMessage.Direction.FROM_BUSINESS
    ).first()
