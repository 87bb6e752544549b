"""Console hooks: who the customer signed in as, and their latest payments."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import strip_tags
from django.utils.text import Truncator

from conversations.models import Conversation

from ..selectors import identity_for_conversation, payment_list_for_conversation

register = template.Library()


@register.inclusion_tag("integrations/_conversation_identity.html")
def conversation_identity(conversation: Conversation) -> dict[str, Any]:
    return {
        "identity": identity_for_conversation(conversation),
        "payments": payment_list_for_conversation(conversation),
    }


# A reason fits on a line of the delivery log; whatever a receiver or an older
# row stored, markup is dropped and the rest cut short.
REASON_CHARS = 120


@register.filter
def short_reason(value: str) -> str:
    text = " ".join(strip_tags(value or "").split())
    return Truncator(text).chars(REASON_CHARS)
