"""Receiving Apple's traffic: customer messages, typing, closes and data-ref replies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from .. import events, inbound_hooks, realtime
from ..apple.client import AppleClient
from ..apple.exceptions import AppleError, MalformedPayload
from ..apple.payloads import (
    InboundClose,
    InboundEnvelope,
    InboundInteractive,
    InboundMessage,
    InboundText,
    InboundTyping,
    Tapback,
    interactive_data_check,
)
from ..attachments import (
    attachments_create_inbound,
)
from ..exceptions import (
    NotFoundError,
)
from ..models import (
    Business,
    Conversation,
    Customer,
    Message,
)
from ..tasks import interactive_reply_resolve as resolve_task
from . import business_lookup
from .inbound_text import text_store
from .inbound_touch import Touched, conversation_touch, customer_conversation
from .lean_insert import lean_insert


class BusinessNotFound(NotFoundError):
    code = "unknown_business"


def inbound_event_handle(*, event: InboundMessage) -> Message | None:
    """Dispatch one parsed Apple message to its handler. Safe to call twice."""
    handlers: dict[type, Callable[..., Message | None]] = {
        InboundText: message_receive,
        InboundInteractive: message_receive,
        InboundTyping: typing_relay,
        InboundClose: conversation_close_by_customer,
    }
    return handlers[type(event)](event=event)


def _business_for(envelope: InboundEnvelope) -> int:
    """The business's id (remembered per process: see ``business_lookup``)."""
    business_id = business_lookup.business_id_for(envelope.destination_id)
    if business_id is None:
        raise BusinessNotFound(
            f"No business with Apple id {envelope.destination_id!r}."
        )
    return business_id


def _conversation_for_inbound(business_id: int, envelope: InboundEnvelope) -> Touched:
    """Lock the customer's conversation and record what the device told us,
    starting it (and the customer) if there is none yet."""
    now = timezone.now()
    # The common case, a customer we know, is one statement. It also checks
    # the business's Apple id, so a remembered id that now names another
    # business (ids re-assigned in another process) is never trusted.
    touched = conversation_touch(business_id=business_id, envelope=envelope, now=now)
    if touched is not None:
        return touched
    if not Business.objects.filter(
        pk=business_id, apple_id=envelope.destination_id
    ).exists():
        business_lookup.forget(envelope.destination_id)
        business_id = _business_for(envelope)
    customer, _ = Customer.objects.get_or_create(
        business_id=business_id, apple_id=envelope.source_id
    )
    Conversation.objects.get_or_create(
        customer=customer, defaults={"business_id": business_id}
    )
    touched = conversation_touch(business_id=business_id, envelope=envelope, now=now)
    if touched is None:  # Deleted since, in another transaction.
        raise BusinessNotFound(
            f"No business with Apple id {envelope.destination_id!r}."
        )
    return touched


def _reaction_target(conversation: Conversation, tapback: Tapback) -> Message | None:
    # Customers never see private notes, so they can never react to one.
    candidates = (
        conversation.messages.exclude(kind=Message.Kind.REACTION)
        .exclude(direction=Message.Direction.INTERNAL)
        .order_by("-id")
    )
    if tapback.quoted:
        exact = candidates.filter(body=tapback.quoted).first()
        if exact is not None:
            return exact
        # Apple shortens long quotes with an ellipsis.
        prefix = tapback.quoted.rstrip("…").rstrip(".").rstrip()
        if prefix and prefix != tapback.quoted:
            return candidates.filter(body__startswith=prefix).first()
        return None
    description = tapback.target_description.lower()
    if any(word in description for word in ("image", "photo", "video", "attachment")):
        return candidates.filter(kind=Message.Kind.ATTACHMENT).first()
    if "business message" in description:
        return candidates.filter(direction=Message.Direction.OUT).first()
    return None


def message_receive(*, event: InboundText | InboundInteractive) -> Message:
    """Store a customer's message once, update the conversation, push after commit.

    Apple redelivers what it thinks we missed: the unique Apple id decides. The
    insert comes first, so a redelivery (or a concurrent delivery that lost the
    race: the unique index waits for the winner) undoes everything it did and
    answers with the stored message; the common case pays no lookup for it.
    """
    try:
        return _message_store(event)
    except IntegrityError:
        stored = Message.objects.filter(apple_id=event.envelope.apple_id).first()
        if stored is not None:
            return stored
    # Not a redelivery: the business this process remembered may have been
    # deleted by another one. Ask again (404 if it is gone); anything else is a
    # real fault and raises.
    business_lookup.forget(event.envelope.destination_id)
    return _message_store(event)


def _message_store(event: InboundText | InboundInteractive) -> Message:
    envelope = event.envelope
    if (
        isinstance(event, InboundText)
        and event.tapback is None
        and not event.attachments
    ):
        # The common case, one statement (``inbound_text``) when it can be.
        message = _inbound_message(envelope, kind=Message.Kind.TEXT, body=event.body)
        touched = text_store(
            business_id=_business_for(envelope),
            envelope=envelope,
            message=message,
            now=timezone.now(),
        )
        if touched is not None:
            # No transaction is open: what waits for the commit runs now.
            _message_stored(event, message, touched)
            return message
    with transaction.atomic():
        touched = _conversation_for_inbound(_business_for(envelope), envelope)
        conversation = touched.conversation
        fields: dict[str, Any] = {"kind": Message.Kind.TEXT, "body": ""}
        if isinstance(event, InboundText):
            fields["body"] = event.body
            if event.tapback is not None:
                target = _reaction_target(conversation, event.tapback)
                fields.update(
                    kind=Message.Kind.REACTION,
                    reaction_type=event.tapback.reaction,
                    reaction_target=target,
                )
            elif event.attachments:
                fields["kind"] = Message.Kind.ATTACHMENT
        else:
            request = _request_for(conversation, event.request_identifier)
            fields.update(
                kind=Message.Kind.INTERACTIVE,
                request_identifier=event.request_identifier,
                reply_to=request,
            )
        message = _inbound_message(envelope, conversation=conversation, **fields)
        lean_insert(message)
        if isinstance(event, InboundText) and fields["kind"] == Message.Kind.ATTACHMENT:
            # Rows now (so the push lists them), bytes later in a task.
            attachments_create_inbound(message=message, descriptors=event.attachments)
        _message_stored(event, message, touched)
    return message


def _inbound_message(envelope: InboundEnvelope, **fields: Any) -> Message:
    return Message(
        apple_id=envelope.apple_id,
        direction=Message.Direction.IN,
        status=Message.Status.RECEIVED,
        raw=dict(envelope.raw),
        **fields,
    )


def _message_stored(
    event: InboundText | InboundInteractive, message: Message, touched: Touched
) -> None:
    """Reopen, push and announce a stored message (after commit, or at once
    outside a transaction)."""
    conversation = touched.conversation
    business_id = conversation.business_id
    old_status = touched.old_status
    starts = touched.starts
    # A resolved conversation stays so only for an answer to what a
    # feature asked after resolving (a survey); any other message reopens it.
    if old_status == Conversation.Status.RESOLVED and not (
        inbound_hooks.inbound_keeps_resolved(
            conversation_id=conversation.id,
            text=event.body if isinstance(event, InboundText) else "",
            request_identifier=""
            if isinstance(event, InboundText)
            else event.request_identifier,
        )
    ):
        conversation.status = Conversation.Status.OPEN
        Conversation.objects.filter(pk=conversation.pk).update(
            status=conversation.status
        )
    new_status = conversation.status
    reopened = old_status != new_status

    realtime.push_message_created(message)
    if starts:
        events.publish(
            events.ConversationStarted(
                business_id=business_id,
                conversation_id=conversation.id,
                message_id=message.id,
                occurred_at=message.created_at,
            )
        )
    elif reopened:
        events.publish(
            events.ConversationStatusChanged(
                business_id=business_id,
                conversation_id=conversation.id,
                old_status=old_status,
                new_status=new_status,
                actor_id=None,
                occurred_at=message.created_at,
            )
        )
    if isinstance(event, InboundInteractive) and event.data is None and event.data_ref:
        # The reference's URL expires quickly: fetch it as soon as we commit.
        transaction.on_commit(lambda: resolve_task.delay(message.id), robust=True)
    if reopened:
        realtime.push_conversation_changed(conversation)
    events.publish(
        events.MessageReceived(
            business_id=business_id,
            message_id=message.id,
            conversation_id=conversation.id,
            interactive=message.kind == Message.Kind.INTERACTIVE,
            occurred_at=message.created_at,
        )
    )


def _request_for(conversation: Conversation, request_identifier: str) -> Message | None:
    if not request_identifier:
        return None
    return (
        conversation.messages.filter(
            direction=Message.Direction.OUT, request_identifier=request_identifier
        )
        .order_by("id")
        .first()
    )


def interactive_reply_resolve(*, message_id: int) -> None:
    """Fetch, decrypt and decode a reply that came as an interactiveDataRef.

    The decoded data is kept in ``raw["interactiveData"]`` beside the reference,
    so the message then reads like a reply that carried its data inline.
    Idempotent: a resolved message is left alone.
    """
    message = (
        Message.objects.select_related("conversation__business")
        .filter(id=message_id, kind=Message.Kind.INTERACTIVE)
        .first()
    )
    if message is None or "interactiveData" in message.raw:
        return
    data_ref = message.raw.get("interactiveDataRef")
    if not isinstance(data_ref, dict):
        return
    conversation = message.conversation
    try:
        data = AppleClient().resolve_data_ref(
            source_id=conversation.business.apple_id, data_ref=data_ref
        )
    except AppleError as exc:
        if not exc.permanent:
            raise
        Message.objects.filter(pk=message.pk).update(
            last_error=f"The reply could not be read: {exc.detail}"
        )
        message.refresh_from_db()
        realtime.push_message_changed(message)
        return
    try:
        request_identifier = interactive_data_check(data)
    except MalformedPayload as exc:
        # Kept visibly unreadable, never half-parsed; retrying would not help.
        Message.objects.filter(pk=message.pk).update(
            last_error=f"The reply could not be read: {exc}"
        )
        message.refresh_from_db()
        realtime.push_message_changed(message)
        return
    with transaction.atomic():
        message = Message.objects.select_for_update().get(pk=message.pk)
        message.raw = {**message.raw, "interactiveData": data}
        message.request_identifier = request_identifier
        message.reply_to = _request_for(conversation, message.request_identifier)
        message.last_error = ""
        message.save(
            update_fields=["raw", "request_identifier", "reply_to", "last_error"]
        )
        realtime.push_message_changed(message)
        events.publish(
            events.InteractiveReplyResolved(
                business_id=conversation.business_id,
                message_id=message.id,
                conversation_id=conversation.id,
            )
        )


def typing_relay(*, event: InboundTyping) -> None:
    """Show the customer's typing to agents at once; nothing is stored."""
    business_id = _business_for(event.envelope)
    conversation = customer_conversation(business_id, event.envelope).only("id").first()
    if conversation is None:
        return  # Typing before the first message: there is nothing to show it on.
    realtime.publish_now(
        realtime.conversation_groups(
            business_id=business_id, conversation_id=conversation.id
        ),
        realtime.TYPING,
        {"conversation": conversation.id, "who": "customer", "typing": event.started},
    )


def conversation_close_by_customer(*, event: InboundClose) -> Message | None:
    """The customer deleted the conversation: close it and tell everyone on it."""
    envelope = event.envelope
    with transaction.atomic():
        business_id = _business_for(envelope)
        if Message.objects.filter(apple_id=envelope.apple_id).exists():
            return None
        conversation = (
            customer_conversation(business_id, envelope).select_for_update().first()
        )
        if conversation is None:
            return None  # Closing a conversation we never saw: nothing to close.
        old_status = conversation.status
        conversation.status = Conversation.Status.CLOSED
        conversation.closed_at = timezone.now()
        conversation.save(update_fields=["status", "closed_at"])
        message = Message.objects.create(
            conversation=conversation,
            apple_id=envelope.apple_id,
            direction=Message.Direction.IN,
            kind=Message.Kind.SYSTEM,
            body="The customer closed the conversation.",
            status=Message.Status.RECEIVED,
            raw=dict(envelope.raw),
        )
        realtime.push_conversation_closed(conversation)
        realtime.push_message_created(message)
        events.publish(
            events.ConversationClosedByCustomer(
                business_id=business_id, conversation_id=conversation.id
            )
        )
        if old_status != Conversation.Status.CLOSED:
            events.publish(
                events.ConversationStatusChanged(
                    business_id=business_id,
                    conversation_id=conversation.id,
                    old_status=old_status,
                    new_status=Conversation.Status.CLOSED,
                    actor_id=None,
                    occurred_at=conversation.closed_at,
                )
            )
    return message
