"""Celery tasks for businesses: thin adapters that take ids and call services."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="businesses.conversation_route", acks_late=True)
def conversation_route(conversation_id: int) -> None:
    """Route a new conversation. Idempotent: the route row is the claim, so a
    redelivery after a lost ack finds it and sends nothing twice."""
    from .routing import conversation_route as route

    route(conversation_id=conversation_id)
