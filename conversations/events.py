"""Domain events: what the core announces, after commit, for the features to act on.

The core names events and never its listeners (as Sentry's ``signals.py`` and
Saleor's plugin manager do): routing, outbound webhooks and sign-in completion
live in apps built on top of the core and subscribe in their
``AppConfig.ready()``. An event is published inside the transaction that made
it true and delivered once that transaction commits, so a listener never sees a
row that was rolled back. Listeners must be cheap: enqueue a task with ids, or
do a small read. A failing listener is logged and never undoes the write or
stops the other listeners.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from django.db import transaction

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    """Base of every domain event: the business it happened in."""

    business_id: int


@dataclass(frozen=True)
class MessageReceived(Event):
    """A customer's message (text, tapback, attachment or interactive reply) is stored."""

    message_id: int
    conversation_id: int
    interactive: bool
    # When the message was stored (None from publishers that predate it).
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class ConversationStarted(Event):
    """A conversation received its first customer message."""

    conversation_id: int
    message_id: int
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class InteractiveReplyResolved(Event):
    """A reply that came by reference (interactiveDataRef) now has its data."""

    message_id: int
    conversation_id: int


@dataclass(frozen=True)
class ConversationClosedByCustomer(Event):
    """The customer deleted the conversation on their device."""

    conversation_id: int


@dataclass(frozen=True)
class MessageStatusChanged(Event):
    """An outbound message moved in its delivery state machine."""

    message_id: int
    conversation_id: int
    status: str
    # Delivery attempts so far (the claim of each send counts one).
    attempts: int = 0
    # Why it moved back to pending or failed, in our words or Apple's.
    error: str = ""


@dataclass(frozen=True)
class AgentAvailabilityChanged(Event):
    """An agent went online, away or offline (one event per business of theirs)."""

    user_id: int
    status: str
    previous: str


@dataclass(frozen=True)
class ConversationStatusChanged(Event):
    """The conversation moved between open, pending, resolved and closed.

    ``actor_id`` is the agent who set it; None when the customer's own message
    (reopening) or their closing the conversation moved it.
    """

    conversation_id: int
    old_status: str
    new_status: str
    actor_id: int | None
    occurred_at: datetime


@dataclass(frozen=True)
class ConversationAssigned(Event):
    """The conversation was given to an agent, or back to nobody (``assignee_id`` None)."""

    conversation_id: int
    assignee_id: int | None
    previous_assignee_id: int | None
    actor_id: int | None
    occurred_at: datetime


@dataclass(frozen=True)
class AgentReplied(Event):
    """A person (not a bot or an automatic reply) queued a message to the customer."""

    conversation_id: int
    message_id: int
    sender_id: int
    occurred_at: datetime


E = TypeVar("E", bound=Event)
Listener = Callable[[E], None]

_listeners: defaultdict[type[Event], list[Callable[[Event], None]]] = defaultdict(list)


def subscribe(event_type: type[E], listener: Callable[[E], None]) -> None:
    """Call ``listener`` for every committed ``event_type``. Idempotent per listener."""
    registered = _listeners[event_type]
    if listener not in registered:
        registered.append(listener)  # type: ignore[arg-type]


def unsubscribe(event_type: type[E], listener: Callable[[E], None]) -> None:
    if listener in _listeners[event_type]:
        _listeners[event_type].remove(listener)  # type: ignore[arg-type]


def listeners(event_type: type[Event]) -> list[Callable[[Event], None]]:
    return list(_listeners[event_type])


def _dispatch(event: Event) -> None:
    for listener in listeners(type(event)):
        try:
            listener(event)
        except Exception:
            logger.exception(
                "events.listener_failed",
                extra={
                    "event": type(event).__name__,
                    "listener": getattr(listener, "__qualname__", repr(listener)),
                },
            )


def publish(event: Event) -> None:
    """Deliver ``event`` to its listeners once the current transaction commits
    (at once when none is open)."""
    transaction.on_commit(lambda: _dispatch(event))
