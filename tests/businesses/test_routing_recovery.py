"""Routing is not lost to a database error: the task retries, and a sweeper
routes conversations that still have no route (issue 14 item 10)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone

from businesses import routing, tasks
from businesses.models import ConversationRoute
from conversations.models import Conversation
from tests.factories import ConversationFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _aged(conversation: Conversation, seconds: float) -> Conversation:
    Conversation.objects.filter(pk=conversation.pk).update(
        created_at=timezone.now() - timedelta(seconds=seconds)
    )
    return conversation


def test_routing_task_retries_after_a_dropped_connection(business, monkeypatch):
    conversation = ConversationFactory(customer__business=business)
    real = routing.conversation_route
    calls = {"n": 0}

    def flaky(**kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real(**kwargs)

    monkeypatch.setattr(routing, "conversation_route", flaky)
    tasks.conversation_route.apply(args=(conversation.id,))
    assert calls["n"] == 2
    assert ConversationRoute.objects.filter(conversation=conversation).exists()


def test_sweeper_routes_conversations_left_without_a_route(business):
    lost = _aged(ConversationFactory(customer__business=business), 120)
    fresh = _aged(ConversationFactory(customer__business=business), 5)
    history = _aged(ConversationFactory(customer__business=business), 3 * 86400)
    assert tasks.conversations_route_unrouted.apply().get() == 1
    assert ConversationRoute.objects.filter(conversation=lost).exists()
    assert not ConversationRoute.objects.filter(conversation=fresh).exists()
    assert not ConversationRoute.objects.filter(conversation=history).exists()
    # Routed once: a second pass finds nothing.
    assert routing.conversations_route_unrouted() == 0


def test_sweeper_is_in_the_beat_schedule(settings):
    tasks_scheduled = {
        entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }
    assert "businesses.conversations_route_unrouted" in tasks_scheduled
    assert "conversations.message_requeue_stuck" in tasks_scheduled
