from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template

from conversations.models import Conversation

from ..models import ConversationFacts
from ..presenters import (
    facts_by_conversation,
    latest_csat,
    sla_next,
    sla_of,
)

register = template.Library()


@register.simple_tag
def insights_sla_map(
    conversations: Iterable[Conversation],
) -> dict[int, ConversationFacts]:
    """One query for a page of inbox rows."""
    return facts_by_conversation(c.id for c in conversations)


@register.inclusion_tag("insights/_sla_chip.html")
def sla_chip(
    sla_map: dict[int, ConversationFacts], conversation_id: int
) -> dict[str, Any]:
    return {"target": sla_next(sla_map.get(conversation_id))}


@register.inclusion_tag("insights/_conversation_insights.html")
def conversation_insights_panel(conversation: Conversation) -> dict[str, Any]:
    facts = ConversationFacts.objects.filter(conversation_id=conversation.pk).first()
    return {
        "facts": facts,
        "sla": sla_of(facts),
        "target": sla_next(facts),
        "survey": latest_csat(conversation.pk),
    }
