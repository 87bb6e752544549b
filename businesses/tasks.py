"""Celery tasks for businesses: thin adapters that take ids and call services."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="businesses.conversation_route", acks_late=True)
def conversation_route(conversation_id: int) -> None:
    """Route a new conversation. Idempotent: the route row is the claim, so a
    redelivery after a lost ack finds it and sends nothing twice."""
    from .routing import conversation_route as route

    route(conversation_id=conversation_id)


@shared_task(name="businesses.conversations_hand_on", acks_late=True)
def conversations_hand_on_task(business_id: int, user_id: int) -> None:
    """An agent went offline: reassign where their teams chose so. Safe to
    repeat: only conversations still assigned to them move."""
    from .assignment import conversations_hand_on

    conversations_hand_on(business_id=business_id, user_id=user_id)
