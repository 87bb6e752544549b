"""The agents' WebSocket."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from . import realtime
from .exceptions import ClientError, NotFoundError
from .models import Conversation
from .selectors import business_ids_for_user, conversation_get_for_user
from .services import (
    availability_socket_closed,
    availability_socket_opened,
    conversation_presence,
    conversation_typing,
)

logger = logging.getLogger(__name__)

# Close codes the console acts on (static/console/js/socket.js): 4401 signed out,
# 4403 access changed, 4503 the channel layer (Redis) is unavailable: reconnect
# soon. Daphne only sends 1000 and 3000-4999, so 1013 "try again later" is out.
CLOSE_LAYER_UNAVAILABLE = 4503
# While the layer is down, how often the re-join loop tries again.
REJOIN_RETRY_SECONDS = 2.0


class AgentConsumer(AsyncJsonWebsocketConsumer):
    """Pushes a signed-in agent the events of every business they belong to.

    Server → client: {"type": "message.created" | "message.status_changed" |
    "conversation.updated" | "conversation.closed" | "typing", "data": {…}} and
    {"type": "error", "code": …}. Client → server (ephemeral signals only):
    {"type": "typing.start" | "typing.stop", "conversation": <id>} and
    {"type": "conversation.focus", "conversation": <id> | null, "join": bool},
    which is relayed to teammates as {"type": "presence", "data": {"conversation",
    "who", "viewing", "join"}}. Everything that writes goes through the REST API.
    """

    groups_joined: list[str]
    focused: int | None = None
    counted: bool = False
    rejoin_task: asyncio.Task[None] | None = None
    layer_lost: bool = False
    _layer_receive: Callable[[], Awaitable[dict[str, Any]]]

    # Channels' loop waits on the layer's receive next to the client's; when
    # Redis goes away that call raises and Daphne closes the socket with 1011,
    # which tells the browser nothing. Channels assigns `channel_receive` in
    # __call__, so a property hands its loop a receive that turns the failure
    # into a message of ours instead.
    @property
    def channel_receive(self) -> Callable[[], Awaitable[dict[str, Any]]]:
        return self._receive_from_layer

    @channel_receive.setter
    def channel_receive(self, receive: Callable[[], Awaitable[dict[str, Any]]]) -> None:
        self._layer_receive = receive

    async def _receive_from_layer(self) -> dict[str, Any]:
        if self.layer_lost:
            # Already closing: wait to be cancelled rather than spin on a dead layer.
            await asyncio.Event().wait()
        try:
            return await self._layer_receive()
        except Exception:
            self.layer_lost = True
            logger.warning("socket.layer_lost", exc_info=True)
            return {"type": "layer.unavailable"}

    async def layer_lost_close(self) -> None:
        """Pushes can no longer arrive: tell the browser to reconnect (and resync)."""
        self.layer_lost = True
        if self.rejoin_task is not None:
            self.rejoin_task.cancel()
        await self.close(code=CLOSE_LAYER_UNAVAILABLE)

    async def layer_unavailable(self, event: dict[str, Any]) -> None:
        await self.layer_lost_close()

    async def connect(self) -> None:
        self.groups_joined = []
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        if not await database_sync_to_async(realtime.socket_allowed)(
            user, self.scope.get("session")
        ):
            # A feature (the second factor) still owes a step: the page sends them there.
            await self.close(code=4403)
            return
        try:
            business_ids = await self._join_groups()
        except Exception:
            # Redis is down or restarting: a handshake error (500) would look
            # like a bug and no close code would reach the browser; accept and
            # close with one that says "try again shortly".
            logger.warning("socket.join_failed", exc_info=True)
            await self.accept()
            await self.layer_lost_close()
            return
        await self.accept()
        # An open tab keeps an "online" agent online; the last one closing makes them away.
        await database_sync_to_async(availability_socket_opened)(user_id=user.pk)
        self.counted = True
        await self.send_json({"type": "hello", "data": {"businesses": business_ids}})
        self.rejoin_task = asyncio.create_task(self._rejoin_forever())

    async def _join_groups(self) -> list[int]:
        """Join this agent's business groups (again), leaving ones they lost."""
        business_ids = await database_sync_to_async(business_ids_for_user)(
            user=self.scope["user"]
        )
        # The user's own group carries "your session ended" (sign-out, removal).
        groups = [realtime.user_group(self.scope["user"].pk)]
        # This sign-in's own group: ending the session elsewhere closes it.
        session = self.scope.get("session")
        if session is not None and session.session_key:
            groups.append(realtime.session_group(session.session_key))
        groups += [realtime.business_group(business_id) for business_id in business_ids]
        for group in set(self.groups_joined) - set(groups):
            await self.channel_layer.group_discard(group, self.channel_name)
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined = groups
        return business_ids

    async def _rejoin_forever(self) -> None:
        # channels_redis forgets group members after group_expiry while sockets
        # live far longer: re-join well before that, or the tab goes deaf while
        # it still looks live.
        # A failed re-join (Redis restarting, the database busy) must not end the
        # loop, or the socket goes deaf later: try again shortly.
        expiry = getattr(self.channel_layer, "group_expiry", 86400)
        delay = max(expiry / 3, 0.5)
        while True:
            await asyncio.sleep(delay)
            try:
                await self._join_groups()
            except Exception:
                logger.warning("socket.rejoin_failed", exc_info=True)
                delay = min(REJOIN_RETRY_SECONDS, max(expiry / 3, 0.5))
            else:
                delay = max(expiry / 3, 0.5)

    async def disconnect(self, code: int) -> None:
        if self.rejoin_task is not None:
            self.rejoin_task.cancel()
        if self.focused is not None:
            # A closed tab must not linger as a viewer until teammates' timers expire.
            with contextlib.suppress(ClientError):
                await database_sync_to_async(self._presence_sync)(
                    self.focused, False, False
                )
            self.focused = None
        await self._leave_groups()
        if self.counted:
            self.counted = False
            await database_sync_to_async(availability_socket_closed)(
                user_id=self.scope["user"].pk
            )

    async def _leave_groups(self) -> None:
        # With the layer down there is nothing to leave: its groups expire.
        with contextlib.suppress(Exception):
            for group in self.groups_joined:
                await self.channel_layer.group_discard(group, self.channel_name)
        self.groups_joined = []

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        handlers = {
            "typing.start": self._typing,
            "typing.stop": self._typing,
            "conversation.focus": self._focus,
        }
        try:
            if not isinstance(content, dict) or content.get("type") not in handlers:
                raise ClientError("unknown_type")
            await handlers[content["type"]](content)
        except ClientError as exc:
            await self.send_json({"type": "error", "code": exc.code})

    async def _typing(self, content: dict[str, Any]) -> None:
        conversation_id = content.get("conversation")
        if not isinstance(conversation_id, int):
            raise ClientError("invalid_conversation")
        await database_sync_to_async(self._typing_sync)(
            conversation_id, content["type"] == "typing.start"
        )

    def _conversation(self, conversation_id: int) -> Conversation:
        """One of this agent's conversations; a foreign id is the same as none."""
        try:
            return conversation_get_for_user(
                user=self.scope["user"], conversation_id=conversation_id
            )
        except NotFoundError as exc:
            raise ClientError("conversation_not_found") from exc

    def _typing_sync(self, conversation_id: int, typing: bool) -> None:
        user = self.scope["user"]
        conversation = self._conversation(conversation_id)
        conversation_typing(
            conversation=conversation,
            agent=user,
            typing=typing,
            exclude_channel=self.channel_name,
        )

    async def _focus(self, content: dict[str, Any]) -> None:
        conversation_id = content.get("conversation")
        if conversation_id is not None and not isinstance(conversation_id, int):
            raise ClientError("invalid_conversation")
        join = bool(content.get("join"))
        previous = self.focused
        if previous is not None and previous != conversation_id:
            self.focused = None
            await database_sync_to_async(self._presence_sync)(previous, False, False)
        if conversation_id is not None:
            await database_sync_to_async(self._presence_sync)(
                conversation_id, True, join
            )
            self.focused = conversation_id

    def _presence_sync(self, conversation_id: int, viewing: bool, join: bool) -> None:
        user = self.scope["user"]
        conversation = self._conversation(conversation_id)
        conversation_presence(
            conversation=conversation,
            agent=user,
            viewing=viewing,
            join=join,
            exclude_channel=self.channel_name,
        )

    async def session_end(self, event: dict[str, Any]) -> None:
        # Membership removed, signed out or password changed (conversations/signals.py):
        # leave every group now, not when the client gets round to disconnecting.
        if self.rejoin_task is not None:
            self.rejoin_task.cancel()
        await self._leave_groups()
        await self.close(code=4403)

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels closes stale database connections before every handler, in
        # a thread hop of its own: per push and per open socket, the biggest
        # cost of a push. Relaying one touches no database, so it skips that.
        if message["type"] == "realtime.push":
            await self.realtime_push(message)
            return
        await super().dispatch(message)

    async def realtime_push(self, event: dict[str, Any]) -> None:
        if (
            event.get("exclude_channel")
            and event["exclude_channel"] == self.channel_name
        ):
            return
        text = event.get("text")
        if isinstance(text, str):
            await self.send(text_data=text)
        else:
            await self.send_json(event["payload"])
