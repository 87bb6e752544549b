"""How a message's rich content reads in the API and the console.

``rich_data_batch`` backs the ``rich`` field of ``MessageOutputSerializer``: for a
message sent from the library, which object and version went out and whether
as the bubble or its text alternative (read from ``Message.raw``, so listing
messages costs no extra query); for a customer's interactive reply, the answer
in one line, plus key/value ``rows`` for a form, so the console can show the
question and its answer once, as one card.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Min

from conversations.models import Message

from .parsers import FormReply, Reply, form_answer_value, parse_reply


def _reply_data(
    message: Message,
    questions: dict[int, Message],
    first_answers: dict[int, int],
) -> dict[str, Any]:
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
            "rows": [],
        }
    question = questions.get(message.reply_to_id) if message.reply_to_id else None
    request = (question.raw.get("interactiveData") if question else None) or None
    parsed = parse_reply(reply, request)
    # Apple may deliver the same answer twice under different ids, and customers
    # may answer an old bubble again: only the first answer counts.
    duplicate = bool(
        question is not None and first_answers.get(question.pk, message.pk) < message.pk
    )
    return {
        "summary": parsed.summary,
        "kind": str(parsed.kind),
        "question": question.pk if question else None,
        "question_title": question.body if question else "",
        "matched": question is not None,
        "duplicate": duplicate,
        "pending": False,
        "rows": _rows(parsed),
    }


def _rows(parsed: Reply) -> list[dict[str, str]]:
    """A form's answers as label/value pairs, one per page; other kinds read as
    their one-line summary and have none."""
    if not isinstance(parsed, FormReply):
        return []
    return [
        {
            "label": answer.title or answer.page_identifier,
            "value": form_answer_value(answer),
        }
        for answer in parsed.answers
    ]


def _is_reply(message: Message) -> bool:
    return (
        message.direction == Message.Direction.IN
        and message.kind == Message.Kind.INTERACTIVE
    )


def rich_data_batch(
    messages: Sequence[Message],
) -> dict[int, dict[str, Any] | None]:
    """The ``rich`` field of many messages in two queries at most, whatever their
    number: the questions the replies answer, and each question's first answer."""
    replies = [m for m in messages if _is_reply(m) and m.reply_to_id]
    question_ids = {m.reply_to_id for m in replies}
    questions: dict[int, Message] = {}
    first_answers: dict[int, int] = {}
    if question_ids:
        questions = {
            q.pk: q
            for q in Message.objects.filter(pk__in=question_ids).only(
                "id", "body", "raw"
            )
        }
        first_answers = dict(
            Message.objects.filter(
                reply_to_id__in=question_ids, direction=Message.Direction.IN
            )
            .values("reply_to_id")
            .annotate(first=Min("id"))
            .values_list("reply_to_id", "first")
        )
    return {
        message.pk: _rich_data(message, questions, first_answers)
        for message in messages
    }


def _rich_data(
    message: Message, questions: dict[int, Message], first_answers: dict[int, int]
) -> dict[str, Any] | None:
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
    if _is_reply(message):
        return {"reply": _reply_data(message, questions, first_answers)}
    return None


def reply_summary(raw: dict[str, Any], question_raw: dict[str, Any] | None) -> str:
    """A reply's one line ("Picked: Blue, Large", "Paid 28.50 USD") from the
    stored payloads alone, for the inbox's previews."""
    reply = raw.get("interactiveData")
    if not isinstance(reply, dict):
        return ""
    request = (question_raw or {}).get("interactiveData") or None
    return parse_reply(reply, request).summary
