"""What the console shows of a conversation's SLA and satisfaction."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from conversations.models import Conversation

from .models import ConversationFacts, CsatSurvey


def _target(
    due: datetime | None, done: datetime | None, breached: bool | None
) -> dict[str, Any] | None:
    if due is None:
        return None
    return {
        "due_at": due.isoformat(),
        "done": done is not None,
        "breached": bool(breached),
    }


def sla_of(facts: ConversationFacts | None) -> dict[str, Any] | None:
    if facts is None:
        return None
    first = _target(
        facts.first_response_due_at,
        facts.first_response_at,
        facts.first_response_breached,
    )
    resolution = _target(
        facts.resolution_due_at, facts.resolved_at, facts.resolution_breached
    )
    if first is None and resolution is None:
        return None
    return {
        "priority": facts.priority,
        "first_response": first,
        "resolution": resolution,
    }


def sla_next(facts: ConversationFacts | None) -> dict[str, Any] | None:
    """The one target an inbox row counts down to: the first not yet done."""
    sla = sla_of(facts)
    if sla is None:
        return None
    for name, label in (
        ("first_response", _("First reply")),
        ("resolution", _("Resolve")),
    ):
        target = sla[name]
        if target is not None and not target["done"]:
            return {**target, "label": label}
    return None


def facts_by_conversation(ids: Iterable[int]) -> dict[int, ConversationFacts]:
    return {
        f.conversation_id: f
        for f in ConversationFacts.objects.filter(conversation_id__in=list(ids))
    }


def latest_csat(conversation_id: int) -> CsatSurvey | None:
    return (
        CsatSurvey.objects.filter(conversation_id=conversation_id)
        .exclude(status=CsatSurvey.Status.SCHEDULED)
        .select_related("agent")
        .order_by("-resolution")
        .first()
    )


def conversation_insights(conversation: Conversation) -> dict[str, Any]:
    """The ``insights`` field of every ``conversation.updated`` push."""
    facts = ConversationFacts.objects.filter(conversation_id=conversation.pk).first()
    survey = latest_csat(conversation.pk)
    return {
        "sla": sla_of(facts),
        "csat": None
        if survey is None
        else {
            "status": survey.status,
            "score": survey.score,
            "comment": survey.comment,
        },
    }
