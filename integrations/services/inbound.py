"""What a customer's message means to integrations: webhooks to emit, a sign-in
to complete, a payment to link."""

from __future__ import annotations

from typing import Any

from conversations.models import Conversation, Message

from ..models import (
    WebhookEndpoint,
)
from .payments import payment_reply_link
from .signin import signin_reply_handle
from .webhooks import webhook_emit

# --- inbound events from conversations ------------------------------------------------------


def _message_event_data(message: Message) -> dict[str, Any]:
    conversation = message.conversation
    return {
        "conversation": conversation.id,
        "customer": conversation.customer.apple_id,
        "message": {
            "id": message.id,
            "apple_id": message.apple_id,
            "kind": message.kind,
            "text": message.body,
            "request_identifier": message.request_identifier,
            "created_at": message.created_at.isoformat(),
        },
    }


def _interactive_data(message: Message) -> dict[str, Any] | None:
    data = message.raw.get("interactiveData")
    return data if isinstance(data, dict) else None


def inbound_message_handle(*, message_id: int) -> None:
    """Everything integrations do with a stored customer message: finish a sign-in,
    link a payment, tell the business's systems. Safe to run twice: a sign-in
    completes once and each webhook event is recorded once per message."""
    message = (
        Message.objects.select_related("conversation__customer", "reply_to")
        .filter(id=message_id, direction=Message.Direction.IN)
        .first()
    )
    if message is None:
        return
    business_id = message.conversation.business_id
    if message.kind != Message.Kind.INTERACTIVE:
        webhook_emit(
            business_id=business_id,
            event=WebhookEndpoint.Event.MESSAGE_CREATED,
            data=_message_event_data(message),
            dedupe_key=f"message:{message.id}",
        )
        return
    data = _interactive_data(message)
    if data is None:
        return  # Sent by reference: handled again once resolved.
    inner = found if isinstance(found := data.get("data"), dict) else {}
    if "authenticate" in inner:
        signin_reply_handle(message=message, reply=data)
    if "payment" in inner:
        payment_reply_link(message=message, reply=data)
    payload = _message_event_data(message)
    payload["interactive_data"] = inner
    webhook_emit(
        business_id=business_id,
        event=WebhookEndpoint.Event.INTERACTIVE_REPLY,
        data=payload,
        dedupe_key=f"message:{message.id}",
    )


def conversation_closed_handle(*, conversation_id: int) -> None:
    conversation = (
        Conversation.objects.select_related("customer")
        .filter(id=conversation_id)
        .first()
    )
    if conversation is None:
        return
    webhook_emit(
        business_id=conversation.business_id,
        event=WebhookEndpoint.Event.CONVERSATION_CLOSED,
        data={
            "conversation": conversation.id,
            "customer": conversation.customer.apple_id,
            "closed_at": conversation.closed_at.isoformat()
            if conversation.closed_at
            else None,
        },
        dedupe_key=f"closed:{conversation.id}:{conversation.closed_at or ''}",
    )
