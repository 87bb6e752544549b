"""Live pushes to browsers: group names, event types and after-commit publishing.

The channel layer only delivers; the database is the truth and clients resync
over REST after reconnecting.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, TypedDict

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction

from .publisher import publisher
from .serializers import conversation_data, message_data

if TYPE_CHECKING:
    from .models import Conversation, Message

logger = logging.getLogger(__name__)

MESSAGE_CREATED = "message.created"
MESSAGE_STATUS_CHANGED = "message.status_changed"
CONVERSATION_UPDATED = "conversation.updated"
CONVERSATION_CLOSED = "conversation.closed"
TYPING = "typing"
# Who is looking at which conversation: ephemeral, never stored, like typing.
PRESENCE = "presence"


class RealtimeEvent(TypedDict):
    type: str
    data: dict[str, Any]


def business_group(business_id: int) -> str:
    return f"business.{business_id}"


def user_group(user_id: int) -> str:
    """Every socket of one person: closed at once when their access changes."""
    return f"user.{user_id}"


# Features that may refuse an agent socket (the second factor, in trust/):
# each gets the user and the session and answers whether the socket may open.
SocketGate = Callable[[Any, Any], bool]
_socket_gates: list[SocketGate] = []


def socket_gate_register(gate: SocketGate) -> None:
    if gate not in _socket_gates:
        _socket_gates.append(gate)


def socket_allowed(user: Any, session: Any) -> bool:
    """Whether every registered gate lets ``user`` open a socket (sync: DB reads)."""
    return all(gate(user, session) for gate in _socket_gates)


def session_group(session_key: str) -> str:
    """Every socket opened with one sign-in session: closed when it is ended.
    Hashed: the group name sits in Redis, the session key must not."""
    return "session." + hashlib.sha256(session_key.encode()).hexdigest()[:40]


def session_sockets_close_on_commit(session_key: str) -> None:
    """Close the sockets of one session once the transaction commits."""

    def close() -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        try:
            _group_send_from_sync(
                layer, session_group(session_key), {"type": "session.end"}
            )
        except Exception:
            logger.exception("realtime.close_failed", extra={"session": "ended"})

    transaction.on_commit(close, robust=True)


def user_sockets_close_on_commit(user_id: int) -> None:
    """Close every socket of ``user_id`` once the transaction commits; the
    browser reconnects and joins only what the person may still see, or is
    refused when their session is gone."""

    def close() -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        try:
            _group_send_from_sync(layer, user_group(user_id), {"type": "session.end"})
        except Exception:
            logger.exception("realtime.close_failed", extra={"user": user_id})

    transaction.on_commit(close, robust=True)


def conversation_groups(*, business_id: int, conversation_id: int) -> list[str]:
    """Where a conversation's pushes go: its business's group alone. Every agent
    socket of the business is there and the payload names the conversation, so
    the browser keeps what it shows; one publish per event, not one per group."""
    return [business_group(business_id)]


# (group, message) pairs a request gathers to send itself once its work is done.
Push = tuple[str, dict[str, Any]]
_collected: ContextVar[list[Push] | None] = ContextVar(
    "realtime_collected", default=None
)


@contextmanager
def collecting() -> Iterator[list[Push]]:
    """Gather pushes instead of sending them, for an async caller that sends
    them itself (``send_collected``) from its own event loop.

    The hot path (Apple's webhook) runs its transaction in a worker thread;
    sending from that thread would block it on the event loop that is busy
    serving the other requests (``async_to_sync``). Pushes made after commit
    are gathered; those of a rolled-back transaction never are.
    """
    pushes: list[Push] = []
    token = _collected.set(pushes)
    try:
        yield pushes
    finally:
        _collected.reset(token)


async def send_collected(pushes: list[Push]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    for group, message in pushes:
        try:
            await layer.group_send(group, message)
        except Exception:
            logger.exception("realtime.push_failed", extra={"group": group})


def _group_send_from_sync(layer: Any, group: str, message: dict[str, Any]) -> None:
    """Send from sync code. A Redis layer's pushes are queued to this process's
    publisher, which sends them in the order they were made (``publisher``);
    any other layer (in memory, in tests) is sent to before returning."""
    from channels_redis.core import RedisChannelLayer
    from channels_redis.pubsub import RedisPubSubChannelLayer

    if isinstance(layer, RedisChannelLayer | RedisPubSubChannelLayer):
        publisher().submit(layer, group, message)
    else:
        async_to_sync(layer.group_send)(group, message)


def _send(groups: list[str], event: RealtimeEvent, exclude_channel: str | None) -> None:
    message = {
        "type": "realtime.push",
        "payload": event,
        # Encoded once here rather than by every socket that relays it.
        "text": json.dumps(event),
        "exclude_channel": exclude_channel,
    }
    collected = _collected.get()
    if collected is not None:
        collected.extend((group, message) for group in groups)
        return
    layer = get_channel_layer()
    if layer is None:
        return
    for group in groups:
        try:
            _group_send_from_sync(layer, group, message)
        except Exception:
            logger.exception("realtime.push_failed", extra={"group": group})


def _event(event_type: str, data: dict[str, Any]) -> RealtimeEvent:
    if settings.DEBUG:
        # Fail at the call site on data that a socket could not carry.
        data = json.loads(json.dumps(data))
    return {"type": event_type, "data": data}


def publish_on_commit(
    groups: list[str],
    event_type: str,
    data: dict[str, Any],
    *,
    exclude_channel: str | None = None,
) -> None:
    """Push to the groups once the surrounding transaction commits (at once if none)."""
    event = _event(event_type, data)
    transaction.on_commit(lambda: _send(groups, event, exclude_channel), robust=True)


def publish_now(
    groups: list[str],
    event_type: str,
    data: dict[str, Any],
    *,
    exclude_channel: str | None = None,
) -> None:
    """Push immediately: for ephemeral signals (typing) that no write backs."""
    _send(groups, _event(event_type, data), exclude_channel)


# --- named pushes: one payload shape per event --------------------------------------


def _groups_of(conversation: Conversation) -> list[str]:
    return conversation_groups(
        business_id=conversation.business_id, conversation_id=conversation.id
    )


def push_message_created(message: Message) -> None:
    """A message appeared in a conversation (any direction, notes and system lines)."""
    publish_on_commit(
        _groups_of(message.conversation), MESSAGE_CREATED, message_data(message)
    )


def push_message_changed(message: Message) -> None:
    """A message's delivery state, error or resolved content changed."""
    publish_on_commit(
        _groups_of(message.conversation), MESSAGE_STATUS_CHANGED, message_data(message)
    )


def push_conversation_changed(conversation: Conversation) -> None:
    """Status, assignment, route or anything else agents see on a conversation."""
    publish_on_commit(
        _groups_of(conversation), CONVERSATION_UPDATED, conversation_data(conversation)
    )


def push_conversation_closed(conversation: Conversation) -> None:
    """The customer closed the conversation: same shape as ``conversation.updated``."""
    publish_on_commit(
        _groups_of(conversation), CONVERSATION_CLOSED, conversation_data(conversation)
    )
