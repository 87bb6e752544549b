"""Misbehaviour switches for the simulated gateway: fail, time out or slow down on demand.

State lives in the serving process (one Daphne process in development and in the
end-to-end stack), so tests in the same process set it from Python and others use
``POST /sandbox/v1/_control``.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from typing import Any

from django.conf import settings

# Past the client's timeout, so the caller gives up before the answer comes.
TIMEOUT_MARGIN_SECONDS = 5.0


@dataclass
class Decision:
    """What to do with one incoming gateway request before handling it."""

    fail_status: int | None = None
    sleep_seconds: float = 0.0


class GatewayControl:
    """Counters consumed one per gateway request; thread-safe because views share a pool."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.fail_count = 0
            self.fail_status = 503
            self.timeout_count = 0
            self.timeout_seconds: float | None = None
            self.delay_ms = 0

    def fail_next(self, count: int, *, status: int = 503) -> None:
        with self._lock:
            self.fail_count = count
            self.fail_status = status

    def timeout_next(self, count: int, *, seconds: float | None = None) -> None:
        with self._lock:
            self.timeout_count = count
            self.timeout_seconds = seconds

    def delay(self, milliseconds: int) -> None:
        with self._lock:
            self.delay_ms = milliseconds

    def state(self) -> dict[str, Any]:
        with self._lock:
            return {
                "fail": {"count": self.fail_count, "status": self.fail_status},
                "timeout": {
                    "count": self.timeout_count,
                    "seconds": self.timeout_seconds,
                },
                "delay_ms": self.delay_ms,
            }

    def take(self) -> Decision:
        """Consume one request's worth of misbehaviour."""
        with self._lock:
            decision = Decision(sleep_seconds=self.delay_ms / 1000)
            if self.timeout_count > 0:
                self.timeout_count -= 1
                seconds = self.timeout_seconds
                if seconds is None:
                    seconds = (
                        float(settings.APPLE_TIMEOUT_SECONDS) + TIMEOUT_MARGIN_SECONDS
                    )
                decision.sleep_seconds += seconds
            elif self.fail_count > 0:
                self.fail_count -= 1
                decision.fail_status = self.fail_status
            return decision

    def configure(self, data: dict[str, Any]) -> None:
        """Apply a ``_control`` request body; raises ValueError naming a bad field."""
        if data.get("reset"):
            self.reset()
        if "fail" in data:
            fail = data["fail"]
            if not isinstance(fail, dict):
                raise ValueError("fail must be an object {count, status}")
            count = _int(fail.get("count", 1), "fail.count", 0, 10_000)
            status = _int(fail.get("status", 503), "fail.status", 400, 599)
            self.fail_next(count, status=status)
        if "timeout" in data:
            timeout = data["timeout"]
            if not isinstance(timeout, dict):
                raise ValueError("timeout must be an object {count, seconds?}")
            count = _int(timeout.get("count", 1), "timeout.count", 0, 10_000)
            seconds = timeout.get("seconds")
            if seconds is not None and (
                isinstance(seconds, bool)
                or not isinstance(seconds, int | float)
                or seconds < 0
            ):
                raise ValueError("timeout.seconds must be a non-negative number")
            self.timeout_next(count, seconds=seconds)
        if "delay_ms" in data:
            self.delay(_int(data["delay_ms"], "delay_ms", 0, 120_000))


def _int(value: Any, name: str, low: int, high: int) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not low <= value <= high
    ):
        raise ValueError(f"{name} must be a whole number from {low} to {high}")
    return value


gateway_control = GatewayControl()


async def apply_misbehaviour() -> int | None:
    """Sleep as told; return the status to fail with, if this request must fail."""
    decision = gateway_control.take()
    if decision.sleep_seconds:
        await asyncio.sleep(decision.sleep_seconds)
    return decision.fail_status
