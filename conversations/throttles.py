"""API throttling: a stolen or runaway token cannot flood writes."""

from __future__ import annotations

from typing import Any

from rest_framework.throttling import UserRateThrottle


class WriteThrottle(UserRateThrottle):
    """Per user (per address when anonymous), for unsafe methods only."""

    scope = "writes"

    def allow_request(self, request: Any, view: Any) -> bool:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        return super().allow_request(request, view)
