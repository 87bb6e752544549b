"""Celery tasks for integrations: thin, ids only, call services."""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task

from .clients import IntegrationError


def webhook_deliver_failed(
    task: Task,
    exc: BaseException,
    task_id: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    einfo: Any,
) -> None:
    """After the last retry: the delivery log shows it failed, and why."""
    from .services import webhook_mark_failed

    delivery_id = kwargs.get("delivery_id", args[0] if args else None)
    if delivery_id is not None:
        webhook_mark_failed(
            delivery_id=delivery_id, reason=str(exc) or type(exc).__name__
        )


@shared_task(
    name="integrations.webhook_deliver",
    bind=True,
    acks_late=True,
    autoretry_for=(IntegrationError,),
    retry_backoff=2,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=6,
    on_failure=webhook_deliver_failed,
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
