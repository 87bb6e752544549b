"""API throttling: a stolen or runaway token cannot flood writes."""

from __future__ import annotations

import logging
from typing import Any

from rest_framework.throttling import UserRateThrottle

logger = logging.getLogger(__name__)


class WriteThrottle(UserRateThrottle):
    """Per user (per address when anonymous), for unsafe methods only.

    Counts live in the cache (Redis). When it is unreachable the request goes
    through unthrottled: refusing every agent's reply for as long as Redis
    restarts costs more than a few seconds without a rate limit.
    """

    scope = "writes"

    def allow_request(self, request: Any, view: Any) -> bool:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        try:
            return super().allow_request(request, view)
        except Exception:
            logger.warning("throttle.cache_unavailable", exc_info=True)
            return True
