"""One line per message for lists and notifications: the inbox rows, the
``preview`` of every message in the API and the live pushes.

The line comes from the message's kind, never from the raw body alone: a photo's
body is the U+FFFC placeholder Apple puts where the file stands, and an
interactive reply has no body at all (its answer is read by a feature, passed
in here as ``summary``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from .apple.payloads import OBJECT_REPLACEMENT
from .models import Message

PREVIEW_LENGTH = 90


@dataclass(frozen=True)
class PreviewSource:
    """What a preview is computed from: a message's columns, plus the first
    file's type (attachments) and a feature's one-line reading (rich replies)."""

    kind: str
    direction: str
    body: str = ""
    auto_reply: bool = False
    sender_id: int | None = None
    sender_name: str = ""
    mime_type: str = ""
    summary: str = ""

    @classmethod
    def of(
        cls, message: Message, *, mime_type: str = "", summary: str = ""
    ) -> PreviewSource:
        return cls(
            kind=message.kind,
            direction=message.direction,
            body=message.body,
            auto_reply=message.auto_reply,
            sender_id=message.sender_id,
            sender_name=message.sender.get_username() if message.sender else "",
            mime_type=mime_type,
            summary=summary,
        )


def _file_label(mime_type: str) -> str:
    major = mime_type.partition("/")[0]
    if major == "image":
        return "📷 " + _("Photo")
    if major == "video":
        return "🎬 " + _("Video")
    if major == "audio":
        return "🎤 " + _("Audio")
    return "📎 " + _("File")


def _content(source: PreviewSource) -> str:
    # The placeholders stand where files are; the words around them are a caption.
    text = " ".join(source.body.replace(OBJECT_REPLACEMENT, " ").split())
    if source.kind == Message.Kind.ATTACHMENT:
        label = _file_label(source.mime_type)
        return f"{label}: {text}" if text else label
    if source.kind == Message.Kind.REACTION:
        return _("Reaction: %(text)s") % {"text": text}
    if source.kind == Message.Kind.INTERACTIVE and source.direction == "in":
        return source.summary or text or _("Answered")
    if source.kind == Message.Kind.RICH_LINK:
        return "🔗 " + text
    return text


def message_preview(source: PreviewSource, *, viewer_id: int | None = None) -> str:
    """The line a list shows for ``source``, as ``viewer_id`` reads it.

    Our side's messages say who wrote them: "Bot: " for an automatic reply,
    "You: " for the viewer's own, the agent's name for a teammate's (and for
    anyone when there is no viewer, as in a push every agent receives).
    """
    content = _content(source)
    prefix = ""
    if source.direction == Message.Direction.OUT:
        if source.auto_reply or source.sender_id is None:
            prefix = _("Bot:")
        elif viewer_id is not None and source.sender_id == viewer_id:
            prefix = _("You:")
        elif source.sender_name:
            prefix = f"{source.sender_name}:"
    elif source.direction == Message.Direction.INTERNAL:
        prefix = _("Note:")
    line = f"{prefix} {content}".strip() if prefix else content
    if len(line) > PREVIEW_LENGTH:
        line = line[: PREVIEW_LENGTH - 1].rstrip() + "…"
    return line
