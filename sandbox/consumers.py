"""The customer page's WebSocket: the device's actions go out to ``/message``, the business's come in.

Client → server: ``{"action": "text", "body"}``, ``{"action": "typing", "typing"}``,
``{"action": "tapback", "reaction", "message"}``, ``{"action": "close"}``,
``{"action": "interactive", "interactiveData"}`` and ``{"action": "pay", "message", "approve"}``
and ``{"action": "authenticate", "message", "approve", "username"}``.
Server → client: ``{"type": "hello", "customer", "messages"}``, ``{"type": "message",
"message"}`` (either direction; a customer message carries the status ``/message``
answered), ``{"type": "typing", "typing"}`` and ``{"type": "error", "error"}``.

No login: the customer's random key in the URL is the only handle, as befits a
development tool. The POST to ``/message`` happens here, in async code, so it can
never wait on the thread the platform's sync views run in.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from . import interactive, realtime, services
from .customer import (
    REACTIONS,
    Device,
    build_inbound,
    post_inbound,
    reaction_text,
    webhook_url,
)
from .gateway_views import db
from .models import SandboxCustomer

logger = logging.getLogger(__name__)

# Apple hands replies larger than this over as an interactiveDataRef (spec §8).
DATA_REF_THRESHOLD_BYTES = 10 * 1024


class CustomerConsumer(AsyncJsonWebsocketConsumer):
    customer: SandboxCustomer
    group: str

    async def connect(self) -> None:
        key = self.scope["url_route"]["kwargs"]["key"]
        customer = await db(services.customer_get)(key=key)
        if customer is None:
            await self.close(code=4404)
            return
        self.customer = customer
        self.group = realtime.customer_group(customer.key)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        history = await db(services.customer_history)(customer=customer)
        info = await db(services.customer_data)(customer)
        await self.send_json({"type": "hello", "customer": info, "messages": history})

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        handlers = {
            "text": self._text,
            "typing": self._typing,
            "tapback": self._tapback,
            "close": self._close,
            "interactive": self._interactive,
            "pay": self._pay,
            "authenticate": self._authenticate,
        }
        action = content.get("action") if isinstance(content, dict) else None
        handler = handlers.get(action) if isinstance(action, str) else None
        if handler is None:
            await self.send_json(
                {"type": "error", "error": f"unknown action {action!r}"}
            )
            return
        try:
            await handler(content)
        except ValueError as exc:
            await self.send_json({"type": "error", "error": str(exc)})

    async def sandbox_push(self, event: dict[str, Any]) -> None:
        await self.send_json(event["payload"])

    # Actions --------------------------------------------------------------------

    async def _text(self, content: dict[str, Any]) -> None:
        body = content.get("body")
        if not isinstance(body, str) or not body.strip():
            raise ValueError("a text message needs text")
        fields: dict[str, Any] = {"body": body}
        fresh = await db(services.customer_get)(key=self.customer.key)
        if fresh is not None:
            self.customer = fresh
        if not self.customer.entry_point_sent:
            if self.customer.intent:
                fields["intent"] = self.customer.intent
            if self.customer.group:
                fields["group"] = self.customer.group
        await self._send("text", fields)

    async def _typing(self, content: dict[str, Any]) -> None:
        # Typing is ephemeral: sent, not shown in the transcript.
        kind = "typing_start" if content.get("typing") else "typing_end"
        request = build_inbound(self._device(), kind)
        status, error = await post_inbound(self._url(), request)
        if status is None or status >= 300:
            await self.send_json(
                {"type": "error", "error": f"{kind} refused: {status} {error}".strip()}
            )

    async def _tapback(self, content: dict[str, Any]) -> None:
        reaction = content.get("reaction")
        if reaction not in REACTIONS:
            raise ValueError(f"unknown reaction {reaction!r}")
        target = content.get("message")
        if not isinstance(target, int):
            raise ValueError("a tapback needs the message id it reacts to")
        message = await db(services.business_message_get)(
            customer=self.customer, message_id=target
        )
        if message is None:
            raise ValueError("no such business message")
        quoted, description = interactive.tapback_subject(message.type, message.body)
        await self._send(
            "text",
            {"body": reaction_text(reaction, quoted=quoted, description=description)},
        )

    async def _close(self, content: dict[str, Any]) -> None:
        await self._send("close", {})

    async def _interactive(self, content: dict[str, Any]) -> None:
        data = content.get("interactiveData")
        if not isinstance(data, dict):
            raise ValueError("interactiveData must be an object")
        if len(json.dumps(data).encode()) > DATA_REF_THRESHOLD_BYTES:
            ref = await db(interactive.store_reply_as_ref)(data)
            await self._send(
                "interactive",
                {"interactiveDataRef": ref},
                shown={"interactiveData": data},
            )
        else:
            await self._send("interactive", {"interactiveData": data})

    async def _pay(self, content: dict[str, Any]) -> None:
        target = content.get("message")
        message = await db(services.business_message_get)(
            customer=self.customer, message_id=target if isinstance(target, int) else -1
        )
        if message is None or message.type != "interactive":
            raise ValueError("no such payment request")
        reply = await interactive.payment_reply(
            message.body, approve=bool(content.get("approve"))
        )
        await self._interactive({"interactiveData": reply})

    async def _authenticate(self, content: dict[str, Any]) -> None:
        target = content.get("message")
        message = await db(services.business_message_get)(
            customer=self.customer, message_id=target if isinstance(target, int) else -1
        )
        if message is None or message.type != "interactive":
            raise ValueError("no such sign-in request")
        reply = interactive.authentication_reply(
            message.body,
            approve=bool(content.get("approve")),
            username=str(content.get("username") or ""),
        )
        await self._interactive({"interactiveData": reply})

    # Plumbing -------------------------------------------------------------------

    def _device(self) -> Device:
        return Device(
            opaque_id=self.customer.opaque_id,
            business_apple_id=self.customer.business_apple_id,
            device=self.customer.device,
            locale=self.customer.locale,
        )

    def _url(self) -> str:
        headers = dict(self.scope.get("headers") or [])
        host = headers.get(b"host", b"127.0.0.1").decode("latin-1")
        return webhook_url(host=host, secure=self.scope.get("scheme") == "wss")

    async def _send(
        self, kind: str, fields: dict[str, Any], *, shown: dict[str, Any] | None = None
    ) -> None:
        """Post one message to the platform, record it with the answer, echo it to every tab."""
        request = build_inbound(self._device(), kind, fields)
        status, error = await post_inbound(self._url(), request)
        if status is None or status >= 300:
            logger.info("sandbox.customer.refused %s %s", status, error)
        body = dict(request.payload)
        if shown:
            body["_shown"] = (
                shown  # what the page renders for a reply sent by reference
            )
        message = await db(services.customer_message_record)(
            customer=self.customer,
            apple_id=request.message_id,
            kind=kind,
            body=body,
            status=status,
            error=error,
        )
        self.customer = (
            await db(services.customer_get)(key=self.customer.key) or self.customer
        )
        await self.channel_layer.group_send(self.group, realtime.message_event(message))
