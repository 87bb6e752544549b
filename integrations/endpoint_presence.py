"""Whether a business has an active webhook endpoint, remembered per process.

Every plain customer message asks, to skip a task (a queue hop and a worker
run) for the many businesses without webhooks; asking the database each time
cost a twelfth of an inbound webhook's time in the server. The answer changes
only when an admin adds, pauses or removes an endpoint: a process forgets at
once what it sees saved or deleted, and keeps anything else for
``TTL_SECONDS``. So an endpoint added through another process receives events
from at most that long after it was saved (README, "Webhooks").
"""

from __future__ import annotations

import threading
import time
from typing import Any

from django.db.models.signals import post_delete, post_save

from .models import WebhookEndpoint

TTL_SECONDS = 10.0
_known: dict[int, tuple[bool, float]] = {}
_lock = threading.Lock()


def business_has_endpoints(business_id: int) -> bool:
    now = time.monotonic()
    with _lock:
        hit = _known.get(business_id)
    if hit is not None and hit[1] > now:
        return hit[0]
    found = WebhookEndpoint.objects.filter(
        business_id=business_id, is_active=True
    ).exists()
    with _lock:
        _known[business_id] = (found, now + TTL_SECONDS)
    return found


def forget() -> None:
    with _lock:
        _known.clear()


def _changed(sender: Any, instance: WebhookEndpoint, **kwargs: Any) -> None:
    with _lock:
        _known.pop(instance.business_id, None)


def connect() -> None:
    post_save.connect(
        _changed, sender=WebhookEndpoint, dispatch_uid="endpoint-presence-save"
    )
    post_delete.connect(
        _changed, sender=WebhookEndpoint, dispatch_uid="endpoint-presence-delete"
    )
