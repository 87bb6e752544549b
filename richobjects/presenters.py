"""How a message's rich content reads in the API and the console.

``rich_data`` backs the ``rich`` field of ``MessageOutputSerializer``: for a
message sent from the library, which object and version went out and whether
as the bubble or its text alternative (read from ``Message.raw``, so listing
messages costs no extra query); for a customer's interactive reply, the answer
in one line next to the question it answers.
"""

from __future__ import annotations

from typing import Any

from conversations.models import Message

from .parsers import parse_reply


def _reply_data(message: Message) -> dict[str, Any]:
    reply = message.raw.get("interactiveData")
    if not isinstance(reply, dict):
        # An interactiveDataRef not fetched yet (or that failed to fetch).
        return {
            "summary": "Reading the reply…" if not message.last_error else "",
            "kind": "unknown",
            "question": message.reply_to_id,
            "question_title": "",
            "matched": message.reply_to_id is not None,
            "duplicate": False,
            "pending": not message.last_error,
        }
    question = message.reply_to
    request = (question.raw.get("interactiveData") if question else None) or None
    parsed = parse_reply(reply, request)
    # Apple may deliver the same answer twice under different ids, and customers
    # may answer an old bubble again: only the first answer counts.
    duplicate = bool(
        question is not None
        and Message.objects.filter(
            reply_to_id=question.pk,
            direction=Message.Direction.IN,
            id__lt=message.pk,
        ).exists()
    )
    return {
        "summary": parsed.summary,
        "kind": str(parsed.kind),
        "question": question.pk if question else None,
        "question_title": question.body if question else "",
        "matched": question is not None,
        "duplicate": duplicate,
        "pending": False,
    }


def rich_data(message: Message) -> dict[str, Any] | None:
    """The ``rich`` field: the library object sent, or the reply's summary; else None."""
    raw = message.raw if isinstance(message.raw, dict) else {}
    sent = raw.get("rich")
    if message.direction == Message.Direction.OUT and isinstance(sent, dict):
        return {
            "object": sent.get("object"),
            "name": sent.get("name", ""),
            "kind": sent.get("kind", ""),
            "version": sent.get("version"),
            "sent_as": sent.get("sent_as", ""),
        }
    if (
        message.direction == Message.Direction.IN
        and message.kind == Message.Kind.INTERACTIVE
    ):
        return {"reply": _reply_data(message)}
    return None
