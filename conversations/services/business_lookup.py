"""Which business an Apple id names, remembered per process.

Every inbound message names its business by Apple id; asking the database each
time costs a round trip on the hottest path for a mapping that almost never
changes. A process keeps what it found for ``TTL_SECONDS`` (other processes
learn of a change within that time) and forgets at once what this process saw
saved or deleted. Callers check the Apple id again in the statements that use
the id (a join, no extra round trip), so a stale entry is never trusted: they
forget it and ask again.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from django.db.models.signals import post_delete, post_save

from ..models import Business

TTL_SECONDS = 60.0
_known: dict[str, tuple[int, float]] = {}
_lock = threading.Lock()


def business_id_for(apple_id: str) -> int | None:
    now = time.monotonic()
    with _lock:
        hit = _known.get(apple_id)
    if hit is not None and hit[1] > now:
        return hit[0]
    found = (
        Business.objects.filter(apple_id=apple_id).values_list("id", flat=True).first()
    )
    if found is not None:
        with _lock:
            _known[apple_id] = (found, now + TTL_SECONDS)
    return found


def forget(apple_id: str | None = None) -> None:
    with _lock:
        if apple_id is None:
            _known.clear()
        else:
            _known.pop(apple_id, None)


def _changed(sender: Any, instance: Business, **kwargs: Any) -> None:
    # The Apple id may be the thing that changed: drop every entry of this row
    # and whatever its (new) Apple id named before.
    with _lock:
        _known.pop(instance.apple_id, None)
        for key in [k for k, (pk, _) in _known.items() if pk == instance.pk]:
            del _known[key]


def connect() -> None:
    post_save.connect(_changed, sender=Business, dispatch_uid="business-lookup-save")
    post_delete.connect(
        _changed, sender=Business, dispatch_uid="business-lookup-delete"
    )
