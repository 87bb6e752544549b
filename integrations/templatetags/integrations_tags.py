"""Console hooks: who the customer signed in as, and their latest payments."""

from __future__ import annotations

import re
from typing import Any

from django import template
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
_INVISIBLE = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>?")


@register.filter
def short_reason(value: str) -> str:
    text = _TAG.sub(" ", _INVISIBLE.sub(" ", value or ""))
    text = " ".join(text.split())
    return Truncator(text).chars(REASON_CHARS)
