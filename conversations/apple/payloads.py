"""Inbound parsing and outbound body building for Apple's wire format (spec §3, §4, §6).

Parsed inbound messages are frozen dataclasses; nothing else crosses the boundary.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class AttachmentDescriptor:
    """One entry of ``attachments[]``, normalised from either spelling."""

    name: str
    mime_type: str
    size: int  # bytes of the encrypted file
    url: str
    owner: str
    key: str  # "00" + hex, as on the wire
    signature_base64: str  # inbound hex signatures are converted to Base64


@dataclass(frozen=True)
class Tapback:
    """A reaction sentence Apple delivers as text (spec §3)."""

    reaction: str  # liked | loved | disliked | laughed | emphasized | questioned | reacted
    emoji: str  # for "Reacted 🎉 to …", else ""
    quoted: str  # the quoted text, "" when the sentence names no text
    target_description: str  # "an image", "1 Business Message", … or ""


@dataclass(frozen=True)
class InboundEnvelope:
    apple_id: str
    source_id: str  # customer opaque id
    destination_id: str  # business id
    capabilities: frozenset[str]  # upper-case names from capability-list
    device_agent: str
    locale: str
    intent: str
    group: str
    raw: Mapping[str, Any] = field(repr=False)


@dataclass(frozen=True)
class InboundText:
    envelope: InboundEnvelope
    body: str
    attachments: tuple[AttachmentDescriptor, ...]
    tapback: Tapback | None


@dataclass(frozen=True)
class InboundTyping:
    envelope: InboundEnvelope
    started: bool


@dataclass(frozen=True)
class InboundClose:
    envelope: InboundEnvelope


@dataclass(frozen=True)
class InboundInteractive:
    envelope: InboundEnvelope
    request_identifier: str  # "" when it is only known after resolving data_ref
    data: Mapping[str, Any] | None  # interactiveData when carried inline
    data_ref: Mapping[str, Any] | None  # interactiveDataRef, to resolve at once (spec §8)


InboundMessage = InboundText | InboundTyping | InboundClose | InboundInteractive


def parse_inbound(headers: Mapping[str, str], body: bytes) -> InboundMessage:
    raise NotImplementedError
