"""What insights does when the core announces something (see conversations.events).

The log and facts are a row or two per state change, written here (cheap work,
ordered by the core's commit order); surveys go to tasks.
"""

from __future__ import annotations

from django.utils import timezone

from conversations import events, inbound_hooks, presentation
from conversations.models import Conversation

from . import csat, services
from .presenters import conversation_insights
from .tasks import csat_reply_handle


def on_started(event: events.ConversationStarted) -> None:
    services.facts_open(
        conversation_id=event.conversation_id,
        opened_at=event.occurred_at or timezone.now(),
    )


def on_message_received(event: events.MessageReceived) -> None:
    at = event.occurred_at or timezone.now()
    # Only a conversation with a survey out can be answering one: knowing it
    # from the same statement keeps a task off every other inbound message.
    if services.customer_message_record(conversation_id=event.conversation_id, at=at):
        csat_reply_handle.delay(event.message_id)


def on_interactive_reply_resolved(event: events.InteractiveReplyResolved) -> None:
    csat_reply_handle.delay(event.message_id)


def on_agent_replied(event: events.AgentReplied) -> None:
    services.agent_reply_record(
        conversation_id=event.conversation_id,
        sender_id=event.sender_id,
        at=event.occurred_at,
    )


def on_assigned(event: events.ConversationAssigned) -> None:
    services.assignment_record(
        conversation_id=event.conversation_id,
        assignee_id=event.assignee_id,
        actor_id=event.actor_id,
        at=event.occurred_at,
    )


def on_status_changed(event: events.ConversationStatusChanged) -> None:
    services.status_change_record(
        conversation_id=event.conversation_id,
        old_status=event.old_status,
        new_status=event.new_status,
        actor_id=event.actor_id,
        at=event.occurred_at,
    )
    if event.new_status == Conversation.Status.RESOLVED:
        csat.survey_schedule(conversation_id=event.conversation_id)


def connect() -> None:
    events.subscribe(events.ConversationStarted, on_started)
    events.subscribe(events.MessageReceived, on_message_received)
    events.subscribe(events.InteractiveReplyResolved, on_interactive_reply_resolved)
    events.subscribe(events.AgentReplied, on_agent_replied)
    events.subscribe(events.ConversationAssigned, on_assigned)
    events.subscribe(events.ConversationStatusChanged, on_status_changed)
    inbound_hooks.status_keeper_register(csat.survey_expects)
    presentation.conversation_field_register("insights", conversation_insights)
