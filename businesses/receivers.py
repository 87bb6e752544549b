"""What routing does when the core announces something (see conversations.events)."""

from __future__ import annotations

from typing import Any

from conversations import events, presentation
from conversations.models import Conversation

from .models import ConversationRoute
from .routing import route_data
from .tasks import conversation_route


def on_conversation_started(event: events.ConversationStarted) -> None:
    """A new conversation is routed (team, rules, greeting) in a task, once."""
    conversation_route.delay(event.conversation_id)


def conversation_route_field(conversation: Conversation) -> dict[str, Any] | None:
    """The ``route`` every ``conversation.updated`` push carries."""
    # Read fresh: the instance may have cached "no route" before routing ran.
    return route_data(
        ConversationRoute.objects.filter(conversation_id=conversation.pk).first()
    )


def connect() -> None:
    events.subscribe(events.ConversationStarted, on_conversation_started)
    presentation.conversation_field_register("route", conversation_route_field)
