"""Channel-layer group names and events of the customer page's WebSocket."""

from __future__ import annotations

from typing import Any


def customer_group(key: str) -> str:
    # Keyed by the customer's URL-safe key: opaque ids hold ':' which group names cannot.
    return f"sandbox.customer.{key}"


def message_event(message: dict[str, Any]) -> dict[str, Any]:
    return {"type": "sandbox.push", "payload": {"type": "message", "message": message}}


def typing_event(typing: bool) -> dict[str, Any]:
    return {"type": "sandbox.push", "payload": {"type": "typing", "typing": typing}}
