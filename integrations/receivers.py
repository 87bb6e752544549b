"""What integrations does when the core announces something (see conversations.events).

Each listener runs after the core's commit and only enqueues a task with ids.
"""

from __future__ import annotations

from conversations import events

from . import endpoint_presence
from .tasks import conversation_closed_handle, inbound_message_handle


def on_message_received(event: events.MessageReceived) -> None:
    """Webhooks and sign-in completion for a customer message.

    A plain message matters here only to a business with webhooks; skipping the
    task for the others keeps a queue hop and a worker run off every inbound
    message (half the inbound throughput on a small machine).
    """
    if not event.interactive and not endpoint_presence.business_has_endpoints(
        event.business_id
    ):
        return
    inbound_message_handle.delay(event.message_id)


def on_interactive_reply_resolved(event: events.InteractiveReplyResolved) -> None:
    inbound_message_handle.delay(event.message_id)


def on_conversation_closed(event: events.ConversationClosedByCustomer) -> None:
    conversation_closed_handle.delay(event.conversation_id)


def connect() -> None:
    endpoint_presence.connect()
    events.subscribe(events.MessageReceived, on_message_received)
    events.subscribe(events.InteractiveReplyResolved, on_interactive_reply_resolved)
    events.subscribe(events.ConversationClosedByCustomer, on_conversation_closed)
