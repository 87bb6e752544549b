"""SLA due times and breaches: targets counted in the business's opening hours."""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from businesses.models import BusinessHours, ConversationRoute, Priority
from businesses.selectors import business_timezone, channel_settings_get
from conversations import realtime
from conversations.models import Business, Conversation

from .business_time import Hours, business_time_add
from .models import ConversationFacts, SlaBreach, SlaPolicy

logger = logging.getLogger(__name__)


def business_hours_of(business: Business) -> tuple[Hours, ZoneInfo]:
    hours = {
        row.weekday: (row.opens, row.closes)
        for row in BusinessHours.objects.filter(business=business)
    }
    return hours, business_timezone(channel_settings_get(business=business))


def priority_of(conversation_id: int) -> str:
    route = (
        ConversationRoute.objects.filter(conversation_id=conversation_id)
        .values_list("priority", flat=True)
        .first()
    )
    return route or Priority.NORMAL


def facts_due_times(facts: ConversationFacts, *, business: Business) -> None:
    """Set the due times (not saved) from the policy for the facts' priority."""
    policy = SlaPolicy.objects.filter(
        business_id=facts.business_id, priority=facts.priority
    ).first()
    if policy is None:
        facts.first_response_due_at = facts.resolution_due_at = None
        return
    hours, zone = business_hours_of(business)

    def due(minutes: int | None) -> datetime | None:
        if minutes is None:
            return None
        return business_time_add(facts.opened_at, minutes * 60, hours=hours, zone=zone)

    facts.first_response_due_at = due(policy.first_response_minutes)
    facts.resolution_due_at = due(policy.resolution_minutes)


def facts_settle_breaches(facts: ConversationFacts, *, now: datetime) -> list[str]:
    """Mark targets met or missed once known (not saved); return those newly missed."""
    missed: list[str] = []
    if facts.first_response_due_at is not None:
        if facts.first_response_at is not None:
            facts.first_response_breached = (
                facts.first_response_at > facts.first_response_due_at
            )
        elif now > facts.first_response_due_at:
            facts.first_response_breached = True
        if facts.first_response_breached:
            missed.append(SlaBreach.Target.FIRST_RESPONSE)
    if facts.resolution_due_at is not None:
        done = facts.resolved_at or facts.first_resolved_at
        if facts.resolved_at is not None:
            facts.resolution_breached = facts.resolved_at > facts.resolution_due_at
        elif done is None and now > facts.resolution_due_at:
            facts.resolution_breached = True
        elif done is not None and now > facts.resolution_due_at:
            # Reopened and still not resolved past the target.
            facts.resolution_breached = True
        if facts.resolution_breached:
            missed.append(SlaBreach.Target.RESOLUTION)
    return missed


def breaches_record(facts: ConversationFacts, targets: list[str]) -> int:
    """Write a breach row per missed target, once each."""
    recorded = 0
    for target in targets:
        due_at = (
            facts.first_response_due_at
            if target == SlaBreach.Target.FIRST_RESPONSE
            else facts.resolution_due_at
        )
        if due_at is None:
            continue
        try:
            with transaction.atomic():
                SlaBreach.objects.create(
                    business_id=facts.business_id,
                    conversation_id=facts.conversation_id,
                    target=target,
                    priority=facts.priority,
                    due_at=due_at,
                )
            recorded += 1
        except IntegrityError:
            pass  # Recorded already.
    return recorded


def sla_sweep(*, now: datetime | None = None) -> int:
    """The beat task: take up priorities routing set, and record breaches as
    they happen (not only when the late reply comes). Returns breaches recorded."""
    now = now or timezone.now()
    # Routing sets the priority in its own task after the conversation opens.
    stale = (
        ConversationFacts.objects.filter(
            resolved_at__isnull=True, conversation__route__isnull=False
        )
        .exclude(priority=F("conversation__route__priority"))
        .select_related("business")
    )
    for facts in stale[:500]:
        facts.priority = priority_of(facts.conversation_id)
        facts_due_times(facts, business=facts.business)
        facts.save(
            update_fields=["priority", "first_response_due_at", "resolution_due_at"]
        )
    overdue = ConversationFacts.objects.filter(
        Q(
            first_response_at__isnull=True,
            first_response_due_at__lt=now,
            first_response_breached__isnull=True,
        )
        | Q(
            resolved_at__isnull=True,
            resolution_due_at__lt=now,
            resolution_breached__isnull=True,
        )
    ).exclude(conversation__status=Conversation.Status.CLOSED)
    recorded = 0
    for facts in overdue[:1000]:
        with transaction.atomic():
            locked = ConversationFacts.objects.select_for_update().get(pk=facts.pk)
            missed = facts_settle_breaches(locked, now=now)
            locked.save(
                update_fields=["first_response_breached", "resolution_breached"]
            )
            recorded += breaches_record(locked, missed)
            conversation = Conversation.objects.select_related(
                "business", "customer", "assigned_agent"
            ).get(pk=locked.pk)
            realtime.push_conversation_changed(conversation)
    if recorded:
        logger.info("sla.breaches_recorded", extra={"count": recorded})
    return recorded
