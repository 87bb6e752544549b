"""Hand-built inbound traffic and timelines for the insights tests."""

from __future__ import annotations

import uuid
from typing import Any

from conversations.apple.payloads import (
    InboundEnvelope,
    InboundInteractive,
    InboundText,
)
from conversations.models import Business, Message
from conversations.services import message_receive

QUICK_DEVICE = frozenset({"QUICK", "LIST", "TIME"})


def envelope(
    business: Business,
    customer: str,
    raw: dict[str, Any] | None = None,
    capabilities: frozenset[str] = QUICK_DEVICE,
) -> InboundEnvelope:
    apple_id = str(uuid.uuid4())
    return InboundEnvelope(
        apple_id=apple_id,
        source_id=customer,
        destination_id=business.apple_id,
        capabilities=capabilities,
        device_agent="iPhone OS",
        locale="en_US",
        intent="",
        group="",
        raw={"id": apple_id, **(raw or {})},
    )


def customer_writes(
    business: Business,
    text: str,
    customer: str = "urn:mbid:cust-1",
    capabilities: frozenset[str] = QUICK_DEVICE,
) -> Message:
    return message_receive(
        event=InboundText(
            envelope=envelope(business, customer, {"body": text}, capabilities),
            body=text,
            attachments=(),
            tapback=None,
        )
    )


def customer_taps(
    business: Business,
    request: Message,
    item: dict[str, str],
    customer: str = "urn:mbid:cust-1",
) -> Message:
    """A quick-reply answer as the sandbox's customer page posts it."""
    asked = request.raw["interactiveData"]
    data = {
        **asked,
        "data": {
            **asked["data"],
            "quick-reply": {
                "summaryText": asked["data"]["quick-reply"]["summaryText"],
                "selectedIdentifier": item["identifier"],
                "items": [item],
            },
        },
    }
    return message_receive(
        event=InboundInteractive(
            envelope=envelope(business, customer, {"interactiveData": data}),
            request_identifier=asked["data"]["requestIdentifier"],
            data=data,
            data_ref=None,
        )
    )
