"""The two calls conversations makes into integrations, after its commits."""

from __future__ import annotations

from django.db import transaction


def message_received(
    message_id: int, *, business_id: int | None = None, interactive: bool = True
) -> None:
    """A customer message is stored (or a by-reference reply resolved).

    A plain message matters here only to a business with webhooks; skipping the
    task for the others keeps a queue hop and a worker run off every inbound
    message (half the inbound throughput on a small machine).
    """
    from .models import WebhookEndpoint
    from .tasks import inbound_message_handle

    if (
        not interactive
        and business_id is not None
        and not WebhookEndpoint.objects.filter(
            business_id=business_id, is_active=True
        ).exists()
    ):
        return
    transaction.on_commit(lambda: inbound_message_handle.delay(message_id), robust=True)


def conversation_closed(conversation_id: int) -> None:
    from .tasks import conversation_closed_handle

    transaction.on_commit(
        lambda: conversation_closed_handle.delay(conversation_id), robust=True
    )
