"""Outbound webhooks: signed, delivered by a task with retries, logged without the
remote body."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from conversations.exceptions import ConflictError, NotFoundError
from conversations.models import Business
from conversations.permissions import business_admin_check
from conversations.types import User

from .. import clients
from ..models import (
    WebhookDelivery,
    WebhookEndpoint,
)

# --- outbound webhooks ------------------------------------------------------------------------


def webhook_emit(
    *, business_id: int, event: str, data: dict[str, Any], dedupe_key: str = ""
) -> list[int]:
    """Record one delivery per subscribed endpoint and enqueue each after commit.

    With a ``dedupe_key`` (what the event is about), emitting again is a no-op.
    """
    from ..tasks import webhook_deliver as webhook_deliver_task

    endpoints = [
        e
        for e in WebhookEndpoint.objects.filter(business_id=business_id, is_active=True)
        if event in e.event_types
    ]
    ids: list[int] = []
    with transaction.atomic():
        for endpoint in endpoints:
            if dedupe_key:
                delivery, created = WebhookDelivery.objects.get_or_create(
                    endpoint=endpoint,
                    event=event,
                    dedupe_key=dedupe_key,
                    defaults={"payload": data},
                )
                if not created:
                    continue
            else:
                delivery = WebhookDelivery.objects.create(
                    endpoint=endpoint, event=event, payload=data
                )
            ids.append(delivery.id)
            transaction.on_commit(
                partial(webhook_deliver_task.delay, delivery.id), robust=True
            )
    return ids


def _webhook_body(delivery: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": str(delivery.event_id),
        "type": delivery.event,
        "created_at": delivery.created_at.isoformat(),
        "business": delivery.endpoint.business.apple_id,
        "data": delivery.payload,
    }


def webhook_deliver(*, delivery_id: int) -> None:
    """POST one delivery, signed. Idempotent: only the claimer sends.

    Raises ``IntegrationError`` (transient) after putting the row back to
    pending so the task retries; permanent failures end the delivery.
    """
    claimed = WebhookDelivery.objects.filter(
        id=delivery_id, status=WebhookDelivery.Status.PENDING
    ).update(
        status=WebhookDelivery.Status.DELIVERING,
        attempts=F("attempts") + 1,
        last_attempt_at=timezone.now(),
    )
    if not claimed:
        return
    delivery = WebhookDelivery.objects.select_related("endpoint__business").get(
        id=delivery_id
    )
    endpoint = delivery.endpoint
    try:
        answer = clients.signed_post(
            url=endpoint.url,
            secret=endpoint.secret,
            payload=_webhook_body(delivery),
            headers={
                "X-MSP-Event": delivery.event,
                "X-MSP-Delivery": str(delivery.event_id),
            },
            # The event's id: the same on every retry, so receivers deduplicate.
            webhook_id=str(delivery.event_id),
        )
    except clients.IntegrationError as exc:
        WebhookDelivery.objects.filter(id=delivery.id).update(
            status=(
                WebhookDelivery.Status.FAILED
                if exc.permanent
                else WebhookDelivery.Status.PENDING
            ),
            response_code=exc.status,
            error=exc.detail[:1000],
        )
        if not exc.permanent:
            raise
        return
    WebhookDelivery.objects.filter(id=delivery.id).update(
        status=WebhookDelivery.Status.SUCCEEDED,
        response_code=answer.status,
        error="",
        delivered_at=timezone.now(),
    )


# Beyond the task's hard time limit: a row still "delivering" lost its worker.
STUCK_AFTER = timedelta(seconds=120)


def webhook_requeue_stuck() -> int:
    """Put deliveries whose worker died back in the queue (the claim makes it safe)."""
    from ..tasks import webhook_deliver as webhook_deliver_task

    cutoff = timezone.now() - STUCK_AFTER
    stuck = list(
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.DELIVERING, last_attempt_at__lt=cutoff
        ).values_list("id", flat=True)[:500]
    )
    for delivery_id in stuck:
        if WebhookDelivery.objects.filter(
            id=delivery_id, status=WebhookDelivery.Status.DELIVERING
        ).update(status=WebhookDelivery.Status.PENDING):
            webhook_deliver_task.delay(delivery_id)
    return len(stuck)


# Sent only on an admin's request, whatever the endpoint subscribed to.
TEST_EVENT = "webhook.test"


def webhook_test_send(
    *, business: Business, actor: User, endpoint_id: int
) -> WebhookDelivery:
    """Queue a ``webhook.test`` event to one endpoint, through the same signed,
    retried delivery as real events; it shows in the delivery log."""
    from ..tasks import webhook_deliver as webhook_deliver_task

    business_admin_check(business=business, actor=actor)
    endpoint = WebhookEndpoint.objects.filter(business=business, id=endpoint_id).first()
    if endpoint is None:
        raise NotFoundError("No such webhook endpoint.")
    with transaction.atomic():
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint,
            event=TEST_EVENT,
            payload={"message": "A test event from the MSP console."},
        )
        transaction.on_commit(
            partial(webhook_deliver_task.delay, delivery.id), robust=True
        )
    return delivery


def webhook_redeliver(
    *, business: Business, actor: User, delivery_id: int
) -> WebhookDelivery:
    """Send a settled delivery again, same event id (receivers deduplicate on it).

    Only a delivered or failed row goes back to pending: one still queued or in
    flight is refused, so a double click does not send twice.
    """
    from ..tasks import webhook_deliver as webhook_deliver_task

    business_admin_check(business=business, actor=actor)
    rows = WebhookDelivery.objects.filter(id=delivery_id, endpoint__business=business)
    if not rows.exists():
        raise NotFoundError("No such delivery.")
    with transaction.atomic():
        reopened = rows.filter(
            status__in=(
                WebhookDelivery.Status.SUCCEEDED,
                WebhookDelivery.Status.FAILED,
            )
        ).update(status=WebhookDelivery.Status.PENDING, error="", delivered_at=None)
        if not reopened:
            raise ConflictError(
                "This delivery is still being sent.", code="delivery_in_progress"
            )
        transaction.on_commit(
            partial(webhook_deliver_task.delay, delivery_id), robust=True
        )
    return WebhookDelivery.objects.get(id=delivery_id)


def webhook_mark_failed(*, delivery_id: int, reason: str) -> None:
    """After the last retry: the delivery stays in the log as failed."""
    WebhookDelivery.objects.filter(id=delivery_id).exclude(
        status=WebhookDelivery.Status.SUCCEEDED
    ).update(status=WebhookDelivery.Status.FAILED, error=reason[:1000])
