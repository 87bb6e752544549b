"""Template tags the console uses to show what this app knows about a conversation."""

from __future__ import annotations

from typing import Any

from django import template

from conversations.models import Conversation

from .. import selectors

register = template.Library()


@register.inclusion_tag("businesses/_route.html")
def conversation_route(conversation: Conversation) -> dict[str, Any]:
    """The route badge for the conversation header (team, rule, priority, bot)."""
    return {
        "conversation": conversation,
        "route": selectors.conversation_route_get(conversation_id=conversation.id),
    }
