"""What routing does when the core announces something (see conversations.events)."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, F, Value, When
from django.utils.translation import gettext_lazy

from conversations import events, presentation
from conversations.models import Conversation

from .models import ConversationRoute, Priority
from .routing import route_data
from .tasks import conversation_route, conversations_hand_on_task


def on_conversation_started(event: events.ConversationStarted) -> None:
    """A new conversation is routed (team, rules, greeting) in a task, once."""
    conversation_route.delay(event.conversation_id)


def on_agent_availability_changed(event: events.AgentAvailabilityChanged) -> None:
    """Going offline hands conversations on where the team's admin chose so."""
    if event.status == "offline":
        conversations_hand_on_task.delay(event.business_id, event.user_id)


def conversation_route_field(conversation: Conversation) -> dict[str, Any] | None:
    """The ``route`` every ``conversation.updated`` push carries."""
    # Read fresh: the instance may have cached "no route" before routing ran.
    return route_data(
        ConversationRoute.objects.filter(conversation_id=conversation.pk).first()
    )


def my_teams(conversations: Any, user: Any) -> Any:
    """The inbox's "my teams": conversations routed to a team the agent is in."""
    return conversations.filter(route__team__members=user)


# Most urgent first; conversations routing never saw sort with "normal".
PRIORITY_RANK = {
    Priority.URGENT: 0,
    Priority.HIGH: 1,
    Priority.NORMAL: 2,
    Priority.LOW: 3,
}


def inbox_priority(conversations: Any) -> Any:
    """The route's priority on every inbox row: a join, no query per row."""
    return conversations.annotate(
        priority=F("route__priority"),
        priority_rank=Case(
            *(
                When(route__priority=value, then=Value(rank))
                for value, rank in PRIORITY_RANK.items()
            ),
            default=Value(PRIORITY_RANK[Priority.NORMAL]),
        ),
    )


def connect() -> None:
    events.subscribe(events.ConversationStarted, on_conversation_started)
    events.subscribe(events.AgentAvailabilityChanged, on_agent_availability_changed)
    presentation.conversation_field_register("route", conversation_route_field)
    presentation.inbox_scope_register("my_teams", gettext_lazy("My teams"), my_teams)
    presentation.inbox_priority_register(
        inbox_priority,
        # The usual priority gets no chip: only what stands out does.
        {value: label for value, label in Priority.choices if value != Priority.NORMAL},
    )
