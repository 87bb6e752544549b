"""Celery tasks for integrations: thin, ids only, call services."""

from __future__ import annotations

from celery import Task, shared_task

from msp_console.celery import final_failure_handler

from .clients import IntegrationError


@shared_task(
    name="integrations.webhook_deliver",
    bind=True,
    acks_late=True,
    autoretry_for=(IntegrationError,),
    retry_backoff=2,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=6,
    on_failure=final_failure_handler(
        "integrations.services.webhook_mark_failed", "delivery_id"
    ),
)
def webhook_deliver(self: Task, delivery_id: int) -> None:
    """POST one webhook delivery. Idempotent: the service claims the row first."""
    from .services import webhook_deliver as deliver

    deliver(delivery_id=delivery_id)


@shared_task(
    name="integrations.inbound_message_handle",
    acks_late=True,
    autoretry_for=(IntegrationError,),
    retry_backoff=2,
    retry_backoff_max=120,
    max_retries=5,
)
def inbound_message_handle(message_id: int) -> None:
    """Sign-in completion and webhooks for one customer message; a sign-in
    completes once however often this runs."""
    from .services import inbound_message_handle as handle

    handle(message_id=message_id)


@shared_task(name="integrations.conversation_closed_handle", acks_late=True)
def conversation_closed_handle(conversation_id: int) -> None:
    """Tell the business's systems a conversation closed."""
    from .services import conversation_closed_handle as handle

    handle(conversation_id=conversation_id)


@shared_task(name="integrations.webhook_requeue_stuck")
def webhook_requeue_stuck() -> int:
    """Beat task: re-enqueue webhook deliveries whose worker was lost."""
    from .services import webhook_requeue_stuck as requeue

    return requeue()
