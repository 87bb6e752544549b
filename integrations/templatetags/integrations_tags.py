"""Console hooks: who the customer signed in as, and their latest payments."""

from __future__ import annotations

from typing import Any

from django import template

from conversations.models import Conversation

from ..selectors import identity_for_conversation, payment_list_for_conversation

register = template.Library()


@register.inclusion_tag("integrations/_conversation_identity.html")
def conversation_identity(conversation: Conversation) -> dict[str, Any]:
    return {
        "identity": identity_for_conversation(conversation),
        "payments": payment_list_for_conversation(conversation),
    }
