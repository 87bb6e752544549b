"""Celery tasks for businesses: thin adapters that take ids and call services."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError


@shared_task(
    name="businesses.conversation_route",
    acks_late=True,
    # A dropped database connection is temporary: try again, the route row
    # makes a repeat harmless. The sweeper below catches what still slips.
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=1,
    retry_backoff_max=30,
    retry_jitter=True,
    max_retries=8,
)
def conversation_route(conversation_id: int) -> None:
    """Route a new conversation. Idempotent: the route row is the claim, so a
    redelivery after a lost ack finds it and sends nothing twice."""
    from .routing import conversation_route as route

    # Celery's Django fixup drops an unusable connection between attempts.
    route(conversation_id=conversation_id)


@shared_task(name="businesses.conversations_hand_on", acks_late=True)
def conversations_hand_on_task(business_id: int, user_id: int) -> None:
    """An agent went offline: reassign where their teams chose so. Safe to
    repeat: only conversations still assigned to them move."""
    from .assignment import conversations_hand_on

    conversations_hand_on(business_id=business_id, user_id=user_id)


@shared_task(name="businesses.conversations_route_unrouted")
def conversations_route_unrouted() -> int:
    """Beat task: route conversations whose routing task was lost or gave up."""
    from .routing import conversations_route_unrouted as sweep

    return sweep()
