"""Auto-assignment: round robin over a team's online agents, fewest open first,
never above the team's cap (turned on per routing rule)."""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, F, Max, Q
from django.utils import timezone

from conversations import events, realtime
from conversations.models import Availability, Conversation
from conversations.types import User

from .models import ConversationRoute, Team

logger = logging.getLogger(__name__)

OPEN_STATUSES = (Conversation.Status.OPEN, Conversation.Status.PENDING)


def team_agent_pick(*, team: Team, exclude_user_id: int | None = None) -> User | None:
    """The online member of ``team`` who should get the next conversation.

    Fewest open conversations in the team's business first; among equals the
    one who received a conversation of this team longest ago (or never), so a
    quiet team still takes turns. Call under the team's row lock.
    """
    candidates = (
        get_user_model()
        .objects.filter(
            teams=team,
            memberships__business_id=team.business_id,
            availability__chosen=Availability.Status.ONLINE,
            availability__sockets__gt=0,
        )
        .annotate(
            open_count=Count(
                "assigned_conversations",
                filter=Q(
                    assigned_conversations__business_id=team.business_id,
                    assigned_conversations__status__in=OPEN_STATUSES,
                ),
                distinct=True,
            ),
            last_received=Max(
                "assigned_conversations__route__created_at",
                filter=Q(assigned_conversations__route__team=team),
            ),
        )
        .filter(open_count__lt=team.assign_cap)
        .order_by("open_count", F("last_received").asc(nulls_first=True), "id")
    )
    if exclude_user_id is not None:
        candidates = candidates.exclude(pk=exclude_user_id)
    return candidates.first()


def assignment_announce(*, conversation: Conversation, previous_id: int | None) -> None:
    """Announce an assignment routing made, as the console announces a person's
    (insights' event log, trust's audit log listen), with no actor: the system did it."""
    if previous_id == conversation.assigned_agent_id:
        return
    events.publish(
        events.ConversationAssigned(
            business_id=conversation.business_id,
            conversation_id=conversation.id,
            assignee_id=conversation.assigned_agent_id,
            previous_assignee_id=previous_id,
            actor_id=None,
            occurred_at=timezone.now(),
        )
    )


def conversation_auto_assign(
    *, conversation: Conversation, team: Team, exclude_user_id: int | None = None
) -> User | None:
    """Assign ``conversation`` (locked by the caller) to the team's next agent.

    The caller pushes the changed conversation to the consoles; the event is
    published here (delivered after commit)."""
    # One assignment per team at a time: two conversations routed at once must
    # not both go to the agent who looked least busy.
    Team.objects.select_for_update().filter(pk=team.pk).first()
    agent = team_agent_pick(team=team, exclude_user_id=exclude_user_id)
    if agent is None:
        logger.info(
            "routing.no_agent_available",
            extra={"conversation": conversation.id, "team": team.pk},
        )
        return None
    previous_id = conversation.assigned_agent_id
    conversation.assigned_agent = agent
    conversation.save(update_fields=["assigned_agent"])
    assignment_announce(conversation=conversation, previous_id=previous_id)
    logger.info(
        "routing.auto_assigned",
        extra={"conversation": conversation.id, "team": team.pk, "agent": agent.pk},
    )
    return agent


def conversations_hand_on(*, business_id: int, user_id: int) -> int:
    """An agent went offline: their open conversations of teams that chose so go
    to the next online teammate (or back to the team's queue). Returns how many."""
    moved = 0
    routes = ConversationRoute.objects.filter(
        conversation__business_id=business_id,
        conversation__assigned_agent_id=user_id,
        conversation__status__in=OPEN_STATUSES,
        team__reassign_when_offline=True,
    ).select_related("team")
    for route in routes:
        team = route.team
        if team is None:
            continue
        with transaction.atomic():
            conversation = (
                Conversation.objects.select_for_update(of=("self",))
                .select_related("business", "customer")
                .get(pk=route.conversation_id)
            )
            if conversation.assigned_agent_id != user_id:
                continue
            # One move, one event: from the agent who left to a teammate, or
            # back to the team's queue when nobody can take it.
            taker = conversation_auto_assign(
                conversation=conversation, team=team, exclude_user_id=user_id
            )
            if taker is None:
                conversation.assigned_agent = None
                conversation.save(update_fields=["assigned_agent"])
                assignment_announce(conversation=conversation, previous_id=user_id)
            conversation = (
                Conversation.objects.select_related(
                    "business", "customer", "assigned_agent"
                )
                .prefetch_related("labels")
                .get(pk=conversation.pk)
            )
            realtime.push_conversation_changed(conversation)
            moved += 1
    return moved
