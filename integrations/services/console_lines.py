"""What integrations puts in a conversation: system lines agents see, and the
interactive bubbles (sign-in, Apple Pay) queued through the core's one send path."""

from __future__ import annotations

from typing import Any

from conversations import realtime

# --- what the console sees --------------------------------------------------------------------
from conversations.exceptions import ApplicationError
from conversations.models import Conversation, Message
from conversations.services import message_queue
from conversations.types import User
from richobjects import builders


def console_line(conversation: Conversation, text: str) -> Message:
    """A system line in the conversation, pushed to agents after commit."""
    message = Message.objects.create(
        conversation=conversation,
        direction=Message.Direction.IN,
        kind=Message.Kind.SYSTEM,
        body=text,
        status=Message.Status.RECEIVED,
    )
    realtime.push_message_created(message)
    realtime.push_conversation_changed(conversation)
    return message


def interactive_queue(
    *,
    conversation: Conversation,
    actor: User | None,
    payload: dict[str, Any],
    text: str,
) -> Message:
    return message_queue(
        conversation=conversation,
        sender=actor,
        kind=Message.Kind.INTERACTIVE,
        body=text,
        raw={"interactiveData": payload},
        request_identifier=str(payload["data"]["requestIdentifier"]),
    )


def interactive_build(
    builder: Any, spec: dict[str, Any], **kwargs: Any
) -> dict[str, Any]:
    try:
        return builder(spec, **kwargs)
    except builders.BuildError as exc:
        errors = getattr(exc, "errors", None) or [exc]
        raise ApplicationError(
            "; ".join(str(e) for e in errors), code="invalid_rich_object"
        ) from exc
