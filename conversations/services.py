"""Writes: receiving Apple's traffic, sending ours, and the delivery state machine."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from uuid import uuid4

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from integrations import hooks as integration_hooks
from richobjects.builders import needs_data_ref

from . import realtime
from .apple.client import AppleClient
from .apple.exceptions import AppleError
from .apple.payloads import (
    InboundClose,
    InboundEnvelope,
    InboundInteractive,
    InboundMessage,
    InboundText,
    InboundTyping,
    Tapback,
    outbound_interactive_body,
    outbound_rich_link_body,
    outbound_text_body,
    request_identifier_of,
)
from .attachments import (
    UPLOAD_SOFT_TIME_LIMIT,
    attachments_body_with_files,
    attachments_create_inbound,
)
from .exceptions import (
    ApplicationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
)
from .models import (
    Attachment,
    Business,
    Conversation,
    Customer,
    Membership,
    Message,
    ReadMarker,
)
from .serializers import conversation_data, message_data

logger = logging.getLogger(__name__)

MAX_TEXT_LENGTH = 10_000
# How long a row may sit in `sending` before the sweeper assumes its worker died:
# the task's hard time limit plus a margin.
STUCK_SENDING_AFTER = timedelta(seconds=90)
# Pending rows older than the largest retry backoff have lost their task.
STUCK_PENDING_AFTER = timedelta(minutes=10)


class BusinessNotFound(NotFoundError):
    code = "unknown_business"


# Inbound ---------------------------------------------------------------------


def inbound_event_handle(*, event: InboundMessage) -> Message | None:
    """Dispatch one parsed Apple message to its handler. Safe to call twice."""
    handlers: dict[type, Callable[..., Message | None]] = {
        InboundText: message_receive,
        InboundInteractive: message_receive,
        InboundTyping: typing_relay,
        InboundClose: conversation_close_by_customer,
    }
    return handlers[type(event)](event=event)


def _business_for(envelope: InboundEnvelope) -> Business:
    business = Business.objects.filter(apple_id=envelope.destination_id).first()
    if business is None:
        raise BusinessNotFound(
            f"No business with Apple id {envelope.destination_id!r}."
        )
    return business


def _conversation_for_inbound(
    business: Business, envelope: InboundEnvelope
) -> Conversation:
    """Find or start the customer's conversation and record what the device told us."""
    customer, _ = Customer.objects.get_or_create(
        business=business, apple_id=envelope.source_id
    )
    conversation, _ = Conversation.objects.get_or_create(
        customer=customer, defaults={"business": business}
    )
    conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
    # Every message carries the device's current abilities; the latest one wins.
    conversation.capabilities = sorted(envelope.capabilities)
    if envelope.device_agent:
        conversation.device_agent = envelope.device_agent
    if envelope.locale:
        conversation.locale = envelope.locale
    # The first entry point a customer came through decides routing; later
    # ones stay in each message's raw payload.
    if envelope.intent and not conversation.intent:
        conversation.intent = envelope.intent
    if envelope.group and not conversation.group:
        conversation.group = envelope.group
    return conversation


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
    """Store a customer's message once, update the conversation, push after commit."""
    envelope = event.envelope
    with transaction.atomic():
        business = _business_for(envelope)
        existing = Message.objects.filter(apple_id=envelope.apple_id).first()
        if existing is not None:
            return existing  # Apple redelivered: already stored and pushed.
        conversation = _conversation_for_inbound(business, envelope)
        reopened = conversation.status != Conversation.Status.OPEN
        conversation.status = Conversation.Status.OPEN
        conversation.closed_at = None
        conversation.last_message_at = timezone.now()
        conversation.save()

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
        try:
            with transaction.atomic():
                message = Message.objects.create(
                    conversation=conversation,
                    apple_id=envelope.apple_id,
                    direction=Message.Direction.IN,
                    status=Message.Status.RECEIVED,
                    raw=dict(envelope.raw),
                    **fields,
                )
        except IntegrityError:
            # A concurrent delivery of the same id won the race.
            transaction.set_rollback(True)
            return Message.objects.get(apple_id=envelope.apple_id)
        if fields["kind"] == Message.Kind.ATTACHMENT:
            # Rows now (so the push lists them), bytes later in a task.
            attachments_create_inbound(message=message, descriptors=event.attachments)

        groups = realtime.conversation_groups(
            business_id=business.id, conversation_id=conversation.id
        )
        realtime.publish_on_commit(
            groups, realtime.MESSAGE_CREATED, message_data(message)
        )
        # A new conversation is routed (team, rules, greeting) after commit, once.
        from businesses.routing import route_on_first_message

        route_on_first_message(conversation=conversation, message=message)
        if (
            isinstance(event, InboundInteractive)
            and event.data is None
            and event.data_ref
        ):
            from .tasks import interactive_reply_resolve as resolve_task

            # The reference's URL expires quickly: fetch it as soon as we commit.
            transaction.on_commit(lambda: resolve_task.delay(message.id), robust=True)
        if reopened:
            realtime.publish_on_commit(
                groups, realtime.CONVERSATION_UPDATED, conversation_data(conversation)
            )
        # Webhooks and sign-in completion, enqueued after commit.
        integration_hooks.message_received(message.id)
    return message


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
        realtime.publish_on_commit(
            realtime.conversation_groups(
                business_id=conversation.business_id, conversation_id=conversation.id
            ),
            realtime.MESSAGE_STATUS_CHANGED,
            message_data(message),
        )
        return
    with transaction.atomic():
        message = Message.objects.select_for_update().get(pk=message.pk)
        message.raw = {**message.raw, "interactiveData": data}
        message.request_identifier = request_identifier_of(data)
        message.reply_to = _request_for(conversation, message.request_identifier)
        message.last_error = ""
        message.save(
            update_fields=["raw", "request_identifier", "reply_to", "last_error"]
        )
        integration_hooks.message_received(message.id)
        realtime.publish_on_commit(
            realtime.conversation_groups(
                business_id=conversation.business_id, conversation_id=conversation.id
            ),
            realtime.MESSAGE_STATUS_CHANGED,
            message_data(message),
        )


def typing_relay(*, event: InboundTyping) -> None:
    """Show the customer's typing to agents at once; nothing is stored."""
    business = _business_for(event.envelope)
    conversation = (
        Conversation.objects.filter(
            business=business, customer__apple_id=event.envelope.source_id
        )
        .only("id")
        .first()
    )
    if conversation is None:
        return  # Typing before the first message: there is nothing to show it on.
    realtime.publish_now(
        realtime.conversation_groups(
            business_id=business.id, conversation_id=conversation.id
        ),
        realtime.TYPING,
        {"conversation": conversation.id, "who": "customer", "typing": event.started},
    )


def conversation_close_by_customer(*, event: InboundClose) -> Message | None:
    """The customer deleted the conversation: close it and tell everyone on it."""
    envelope = event.envelope
    with transaction.atomic():
        business = _business_for(envelope)
        if Message.objects.filter(apple_id=envelope.apple_id).exists():
            return None
        conversation = (
            Conversation.objects.select_for_update()
            .filter(business=business, customer__apple_id=envelope.source_id)
            .first()
        )
        if conversation is None:
            return None  # Closing a conversation we never saw: nothing to close.
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
        groups = realtime.conversation_groups(
            business_id=business.id, conversation_id=conversation.id
        )
        realtime.publish_on_commit(
            groups, realtime.CONVERSATION_CLOSED, conversation_data(conversation)
        )
        realtime.publish_on_commit(
            groups, realtime.MESSAGE_CREATED, message_data(message)
        )
        integration_hooks.conversation_closed(conversation.id)
    return message


# Outbound --------------------------------------------------------------------


def _enqueue_delivery(message_id: int) -> None:
    from .tasks import message_deliver as message_deliver_task

    options: dict[str, Any] = {}
    if Attachment.objects.filter(message_id=message_id).exists():
        # Uploading 100 MB outlasts the default limits on a slow link; the
        # upload renews the row's lease, so the sweeper leaves it alone.
        options = {
            "soft_time_limit": UPLOAD_SOFT_TIME_LIMIT,
            "time_limit": UPLOAD_SOFT_TIME_LIMIT + 60,
        }
    transaction.on_commit(
        lambda: message_deliver_task.apply_async((message_id,), **options), robust=True
    )


def message_send(
    *,
    conversation: Conversation,
    sender: AbstractBaseUser | None,
    text: str,
    auto_reply: bool = False,
) -> Message:
    """Queue a text message to the customer; delivery happens in a task."""
    if not text or not text.strip():
        raise ApplicationError("A message needs some text.", code="empty_text")
    if len(text) > MAX_TEXT_LENGTH:
        raise ApplicationError(
            f"A message can have at most {MAX_TEXT_LENGTH} characters.",
            code="text_too_long",
        )
    if "\x00" in text:
        raise ApplicationError(
            "A message cannot contain NUL characters.", code="invalid_text"
        )
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
        if conversation.is_closed:
            raise ConflictError(
                "The customer closed this conversation; nothing can be sent until they write again.",
                code="conversation_closed",
            )
        # Every URL goes out as a rich link (spec §4); see richobjects.links.
        from richobjects.links import rich_link_plan

        only_url, urls = rich_link_plan(text)
        message = Message.objects.create(
            conversation=conversation,
            direction=Message.Direction.OUT,
            kind=Message.Kind.RICH_LINK if only_url else Message.Kind.TEXT,
            body=text,
            raw={"url": only_url} if only_url else {},
            status=Message.Status.PENDING,
            sender=sender,
            auto_reply=auto_reply,
        )
        conversation.last_message_at = message.created_at
        conversation.save(update_fields=["last_message_at"])
        realtime.publish_on_commit(
            realtime.conversation_groups(
                business_id=conversation.business_id, conversation_id=conversation.id
            ),
            realtime.MESSAGE_CREATED,
            message_data(message),
        )
        _enqueue_delivery(message.id)
        for url in urls:
            message_queue(
                conversation=conversation,
                sender=sender,
                kind=Message.Kind.RICH_LINK,
                body=url,
                raw={"url": url},
                auto_reply=auto_reply,
            )
    return message


def message_queue(
    *,
    conversation: Conversation,
    sender: AbstractBaseUser | None,
    kind: str,
    body: str,
    raw: dict[str, Any] | None = None,
    request_identifier: str = "",
    auto_reply: bool = False,
    on_created: Callable[[Message], None] | None = None,
) -> Message:
    """Queue an outbound message whose wire content was prepared elsewhere.

    Used for rich objects and rich links: ``raw`` holds ``interactiveData``
    or ``url``/``richLinkData``, which ``_wire_body`` turns into the body.
    ``on_created`` runs inside the transaction, before the push, so related
    rows (the rich-object link) are in what agents receive.
    """
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
        if conversation.is_closed:
            raise ConflictError(
                "The customer closed this conversation; nothing can be sent until they write again.",
                code="conversation_closed",
            )
        message = Message.objects.create(
            conversation=conversation,
            direction=Message.Direction.OUT,
            kind=kind,
            body=body,
            raw=raw or {},
            request_identifier=request_identifier,
            status=Message.Status.PENDING,
            sender=sender,
            auto_reply=auto_reply,
        )
        if on_created is not None:
            on_created(message)
        conversation.last_message_at = message.created_at
        conversation.save(update_fields=["last_message_at"])
        realtime.publish_on_commit(
            realtime.conversation_groups(
                business_id=conversation.business_id, conversation_id=conversation.id
            ),
            realtime.MESSAGE_CREATED,
            message_data(message),
        )
        _enqueue_delivery(message.id)
    return message


def _set_status(message: Message, status: str, *, error: str = "") -> None:
    now = timezone.now()
    update: dict[str, Any] = {
        "status": status,
        "status_changed_at": now,
        "last_error": error,
    }
    if status == Message.Status.SENT:
        update["sent_at"] = now
    Message.objects.filter(pk=message.pk).update(**update)
    for name, value in update.items():
        setattr(message, name, value)
    conversation = message.conversation
    realtime.publish_on_commit(
        realtime.conversation_groups(
            business_id=conversation.business_id, conversation_id=conversation.id
        ),
        realtime.MESSAGE_STATUS_CHANGED,
        message_data(message),
    )


def _kick_next(message: Message) -> None:
    """Once a message has settled, start the conversation's next waiting one."""
    following = (
        Message.objects.filter(
            conversation_id=message.conversation_id,
            direction=Message.Direction.OUT,
            status=Message.Status.PENDING,
            id__gt=message.id,
        )
        .order_by("id")
        .values_list("id", flat=True)
        .first()
    )
    if following is not None:
        _enqueue_delivery(following)


def _has_unsettled_predecessor(message: Message) -> bool:
    return Message.objects.filter(
        conversation_id=message.conversation_id,
        direction=Message.Direction.OUT,
        status__in=[Message.Status.PENDING, Message.Status.SENDING],
        id__lt=message.id,
    ).exists()


def _rich_link_data(message: Message) -> dict[str, Any]:
    data = message.raw.get("richLinkData")
    if isinstance(data, dict):
        return data
    from richobjects.links import rich_link_data_for

    # Fetched here, in the delivery task, never in the request; kept so a
    # retry sends the same preview without fetching the page again.
    data = rich_link_data_for(str(message.raw.get("url") or message.body))
    message.raw = {**message.raw, "richLinkData": data}
    Message.objects.filter(pk=message.pk).update(raw=message.raw)
    return data


def _wire_body(message: Message) -> dict[str, Any]:
    conversation = message.conversation
    interactive = message.raw.get("interactiveData")
    if message.kind == Message.Kind.INTERACTIVE and isinstance(interactive, dict):
        return outbound_interactive_body(
            message_id=message.apple_id,
            source_id=conversation.business.apple_id,
            destination_id=conversation.customer.apple_id,
            interactive_data=interactive,
        )
    if message.kind == Message.Kind.RICH_LINK:
        return outbound_rich_link_body(
            message_id=message.apple_id,
            source_id=conversation.business.apple_id,
            destination_id=conversation.customer.apple_id,
            rich_link_data=_rich_link_data(message),
        )
    return outbound_text_body(
        message_id=message.apple_id,
        source_id=conversation.business.apple_id,
        destination_id=conversation.customer.apple_id,
        text=message.body,
    )


def message_deliver(*, message_id: int) -> None:
    """Send one outbound message to Apple. Idempotent: only the claimer sends.

    Raises AppleTransientError after putting the message back to pending, so
    the task retries with the same Apple id.
    """
    message = (
        Message.objects.select_related(
            "conversation__business", "conversation__customer"
        )
        .filter(id=message_id, direction=Message.Direction.OUT)
        .first()
    )
    if message is None or message.status != Message.Status.PENDING:
        return
    if _has_unsettled_predecessor(message):
        return  # The predecessor starts this one when it settles (_kick_next).
    claimed = Message.objects.filter(
        id=message.id, status=Message.Status.PENDING
    ).update(
        status=Message.Status.SENDING,
        attempts=F("attempts") + 1,
        status_changed_at=timezone.now(),
    )
    if not claimed:
        return
    message.refresh_from_db(fields=["attempts"])
    message.status = Message.Status.SENDING
    _set_status(message, Message.Status.SENDING, error=message.last_error)

    if message.conversation.is_closed:
        _set_status(
            message,
            Message.Status.FAILED,
            error="The customer closed the conversation.",
        )
        _kick_next(message)
        return
    try:
        # No transaction is open here: the network call holds no locks.
        body = _wire_body(message)
        if message.kind == Message.Kind.ATTACHMENT:
            # Files go to Apple before the text that shows them; a retry
            # reuses the descriptors of files already uploaded.
            body = attachments_body_with_files(message=message, body=body)
        interactive = body.get("interactiveData") or {}
        client = AppleClient()
        # Authentication requests have their own endpoint (spec §7.6).
        send = (
            client.authenticate
            if "authenticate" in (interactive.get("data") or {})
            else client.send_message
        )
        answer = send(
            message_id=message.apple_id,
            source_id=message.conversation.business.apple_id,
            destination_id=message.conversation.customer.apple_id,
            body=body,
            auto_reply=message.auto_reply,
            include_data_ref=bool(interactive) and needs_data_ref(interactive),
        )
        if answer and isinstance(answer.get("dataRef"), dict):
            # Large payloads (spec §8): Apple's reference can be re-sent later.
            message.raw = {**message.raw, "dataRef": answer["dataRef"]}
            Message.objects.filter(pk=message.pk).update(raw=message.raw)
    except AppleError as exc:
        if exc.permanent:
            _set_status(message, Message.Status.FAILED, error=exc.detail)
            _kick_next(message)
            return
        _set_status(message, Message.Status.PENDING, error=exc.detail)
        raise
    _set_status(message, Message.Status.SENT)
    _kick_next(message)


def message_mark_failed(*, message_id: int, reason: str) -> None:
    """Give up on a message after its last retry and let the next one go."""
    message = (
        Message.objects.select_related("conversation").filter(id=message_id).first()
    )
    if message is None or message.status in (
        Message.Status.SENT,
        Message.Status.FAILED,
    ):
        return
    _set_status(message, Message.Status.FAILED, error=reason or "Delivery failed.")
    _kick_next(message)


def message_retry(*, message: Message) -> Message:
    """Put a failed outbound message back in the queue, keeping its Apple id."""
    if message.direction != Message.Direction.OUT:
        raise ApplicationError(
            "Only messages to the customer can be retried.", code="not_outbound"
        )
    if message.conversation.is_closed:
        raise ConflictError(
            "The customer closed this conversation; nothing can be sent until they write again.",
            code="conversation_closed",
        )
    updated = Message.objects.filter(
        id=message.id, status=Message.Status.FAILED
    ).update(status=Message.Status.PENDING, status_changed_at=timezone.now())
    if not updated:
        raise ConflictError("Only failed messages can be retried.", code="not_failed")
    message.refresh_from_db()
    _set_status(message, Message.Status.PENDING, error=message.last_error)
    _enqueue_delivery(message.id)
    return message


def message_requeue_stuck() -> int:
    """Re-enqueue messages whose worker died mid-send or whose task was lost."""
    now = timezone.now()
    outbound = Message.objects.filter(direction=Message.Direction.OUT)
    sending_ids = list(
        outbound.filter(
            status=Message.Status.SENDING,
            status_changed_at__lt=now - STUCK_SENDING_AFTER,
        ).values_list("id", flat=True)
    )
    # Only rows still in `sending` go back: a late finisher may have settled one.
    outbound.filter(id__in=sending_ids, status=Message.Status.SENDING).update(
        status=Message.Status.PENDING, status_changed_at=now
    )
    pending_ids = list(
        outbound.filter(
            status=Message.Status.PENDING,
            status_changed_at__lt=now - STUCK_PENDING_AFTER,
        ).values_list("id", flat=True)
    )
    ids = sorted(set(sending_ids) | set(pending_ids))
    for message_id in ids:
        _enqueue_delivery(message_id)
    if ids:
        logger.warning("messages.requeued", extra={"ids": ids})
    return len(ids)


# Typing ----------------------------------------------------------------------


def conversation_typing(
    *,
    conversation: Conversation,
    agent: AbstractBaseUser,
    typing: bool,
    exclude_channel: str | None = None,
) -> None:
    """An agent started or stopped composing: tell teammates and the customer."""
    realtime.publish_now(
        realtime.conversation_groups(
            business_id=conversation.business_id, conversation_id=conversation.id
        ),
        realtime.TYPING,
        {
            "conversation": conversation.id,
            "who": agent.get_username(),
            "typing": typing,
        },
        exclude_channel=exclude_channel,
    )
    if conversation.is_closed:
        return
    from .tasks import typing_send as typing_send_task

    # A stale indicator is worse than none: short expiry and no retries.
    typing_send_task.apply_async((conversation.id, typing), expires=10)


def typing_send(*, conversation_id: int, typing: bool) -> None:
    conversation = (
        Conversation.objects.select_related("business", "customer")
        .filter(id=conversation_id)
        .first()
    )
    if conversation is None or conversation.is_closed:
        return
    try:
        AppleClient().send_typing(
            message_id=str(uuid4()),
            source_id=conversation.business.apple_id,
            destination_id=conversation.customer.apple_id,
            started=typing,
        )
    except AppleError as exc:
        logger.info(
            "typing.not_sent",
            extra={"conversation": conversation_id, "error": exc.detail},
        )


# Console: assignment, status, notes, read markers, presence, team -----------

# The statuses an agent may set; "closed" belongs to the customer alone.
AGENT_STATUSES = (
    Conversation.Status.OPEN,
    Conversation.Status.PENDING,
    Conversation.Status.RESOLVED,
)


def _publish_conversation_updated(conversation: Conversation) -> None:
    realtime.publish_on_commit(
        realtime.conversation_groups(
            business_id=conversation.business_id, conversation_id=conversation.id
        ),
        realtime.CONVERSATION_UPDATED,
        conversation_data(conversation),
    )


def conversation_assign(
    *,
    conversation: Conversation,
    actor: AbstractBaseUser,
    assignee: AbstractBaseUser | None,
) -> Conversation:
    """Give the conversation to a member of its business, or to nobody."""
    if (
        assignee is not None
        and not Membership.objects.filter(
            user=assignee, business_id=conversation.business_id
        ).exists()
    ):
        raise ApplicationError(
            "Only agents of this business can be assigned.", code="not_a_member"
        )
    with transaction.atomic():
        conversation = (
            # of=self: PostgreSQL cannot lock the nullable side of the joins.
            Conversation.objects.select_for_update(of=("self",))
            .select_related("business", "customer")
            .get(pk=conversation.pk)
        )
        conversation.assigned_agent = assignee
        conversation.save(update_fields=["assigned_agent"])
        _publish_conversation_updated(conversation)
    logger.info(
        "conversation.assigned",
        extra={"conversation": conversation.id, "actor": actor.pk},
    )
    return conversation


def conversation_set_status(
    *, conversation: Conversation, actor: AbstractBaseUser, status: str
) -> Conversation:
    """Move the conversation between open, pending and resolved."""
    if status not in AGENT_STATUSES:
        raise ApplicationError(
            "Agents can set open, pending or resolved.", code="invalid_status"
        )
    with transaction.atomic():
        conversation = (
            # of=self: PostgreSQL cannot lock the nullable side of the joins.
            Conversation.objects.select_for_update(of=("self",))
            .select_related("business", "customer", "assigned_agent")
            .get(pk=conversation.pk)
        )
        # Reopening a customer-closed conversation would let agents write to
        # someone who opted out; only the customer's next message reopens it.
        if conversation.is_closed:
            raise ConflictError(
                "The customer closed this conversation; it reopens when they write again.",
                code="conversation_closed",
            )
        if conversation.status != status:
            conversation.status = status
            conversation.save(update_fields=["status"])
            _publish_conversation_updated(conversation)
    logger.info(
        "conversation.status_set",
        extra={"conversation": conversation.id, "actor": actor.pk, "status": status},
    )
    return conversation


def note_create(
    *, conversation: Conversation, author: AbstractBaseUser, text: str
) -> Message:
    """Store a private note for teammates. It is never delivered to the customer."""
    if not text or not text.strip():
        raise ApplicationError("A note needs some text.", code="empty_text")
    if len(text) > MAX_TEXT_LENGTH:
        raise ApplicationError(
            f"A note can have at most {MAX_TEXT_LENGTH} characters.",
            code="text_too_long",
        )
    with transaction.atomic():
        # direction=internal keeps it out of every outbound query, and no
        # delivery task is ever enqueued for it.
        note = Message.objects.create(
            conversation=conversation,
            direction=Message.Direction.INTERNAL,
            kind=Message.Kind.NOTE,
            body=text,
            status=Message.Status.RECEIVED,
            sender=author,
        )
        realtime.publish_on_commit(
            realtime.conversation_groups(
                business_id=conversation.business_id, conversation_id=conversation.id
            ),
            realtime.MESSAGE_CREATED,
            message_data(note),
        )
    return note


def conversation_mark_read(
    *, conversation: Conversation, user: AbstractBaseUser, message_id: int
) -> ReadMarker:
    """Move the user's read marker forward (never back: tabs race each other)."""
    marker, created = ReadMarker.objects.get_or_create(
        user=user,
        conversation=conversation,
        defaults={"last_read_message_id": message_id},
    )
    if not created and marker.last_read_message_id < message_id:
        ReadMarker.objects.filter(
            pk=marker.pk, last_read_message_id__lt=message_id
        ).update(last_read_message_id=message_id, updated_at=timezone.now())
        marker.last_read_message_id = message_id
    return marker


def conversation_presence(
    *,
    conversation: Conversation,
    agent: AbstractBaseUser,
    viewing: bool,
    join: bool = False,
    exclude_channel: str | None = None,
) -> None:
    """Tell teammates an agent opened or left a conversation; nothing is stored.

    `join` asks those already viewing to announce themselves once, so the
    newcomer learns who is there without the server keeping state.
    """
    realtime.publish_now(
        [realtime.business_group(conversation.business_id)],
        realtime.PRESENCE,
        {
            "conversation": conversation.id,
            "who": agent.get_username(),
            "viewing": viewing,
            "join": join,
        },
        exclude_channel=exclude_channel,
    )


def _require_admin(*, business: Business, actor: AbstractBaseUser) -> None:
    if not Membership.objects.filter(
        user=actor, business=business, role=Membership.Role.ADMIN
    ).exists():
        raise PermissionDeniedError(
            "Only admins of this business can manage its agents."
        )


def membership_add(
    *, business: Business, actor: AbstractBaseUser, username: str, role: str
) -> Membership:
    """An admin adds an existing user to the business as agent or admin."""
    _require_admin(business=business, actor=actor)
    if role not in Membership.Role.values:
        raise ApplicationError("Unknown role.", code="invalid_role")
    user = get_user_model().objects.filter(username=username.strip()).first()
    if user is None:
        raise ApplicationError(f"No user named {username!r}.", code="unknown_user")
    membership, created = Membership.objects.get_or_create(
        user=user, business=business, defaults={"role": role}
    )
    if not created:
        raise ConflictError(
            f"{user.get_username()} is already on this team.", code="already_member"
        )
    return membership


def membership_remove(
    *, business: Business, actor: AbstractBaseUser, membership_id: int
) -> None:
    """An admin removes an agent; the business always keeps at least one admin."""
    _require_admin(business=business, actor=actor)
    with transaction.atomic():
        membership = (
            Membership.objects.select_for_update()
            .filter(id=membership_id, business=business)
            .first()
        )
        if membership is None:
            raise NotFoundError("No such agent on this team.")
        if (
            membership.role == Membership.Role.ADMIN
            and Membership.objects.filter(
                business=business, role=Membership.Role.ADMIN
            ).count()
            == 1
        ):
            raise ConflictError(
                "A business needs at least one admin.", code="last_admin"
            )
        # Their conversations go back to the queue rather than to someone who
        # can no longer open them.
        reassigned = list(
            Conversation.objects.filter(
                business=business, assigned_agent_id=membership.user_id
            ).select_related("business", "customer")
        )
        Conversation.objects.filter(id__in=[c.id for c in reassigned]).update(
            assigned_agent=None
        )
        for conversation in reassigned:
            conversation.assigned_agent = None
            _publish_conversation_updated(conversation)
        membership.delete()
