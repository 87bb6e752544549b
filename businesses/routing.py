"""Routing new conversations (spec §10): the first inbound message picks a rule by
intent, group, locale and business hours; the rule gives team, priority, assignee,
an automatic reply, or a bot. Escalation from a bot to a person is always possible.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from conversations import realtime
from conversations.exceptions import ApplicationError
from conversations.models import Conversation, Membership
from conversations.services import message_send
from conversations.types import User
from richobjects.services import rich_object_send

from .assignment import assignment_announce, conversation_auto_assign
from .models import ConversationRoute, RoutingRule
from .selectors import business_is_open, channel_settings_get

logger = logging.getLogger(__name__)


def _locale_matches(rule_locale: str, locale: str) -> bool:
    if not rule_locale:
        return True
    wanted = rule_locale.lower().replace("-", "_")
    have = locale.lower().replace("-", "_")
    return have == wanted or have.startswith(wanted + "_")


def rule_matches(
    *, rule: RoutingRule, conversation: Conversation, is_open: bool
) -> bool:
    if rule.match_intent and rule.match_intent != conversation.intent:
        return False
    if rule.match_group and rule.match_group != conversation.group:
        return False
    if not _locale_matches(rule.match_locale, conversation.locale):
        return False
    if rule.match_hours == RoutingRule.Hours.OPEN and not is_open:
        return False
    return not (rule.match_hours == RoutingRule.Hours.CLOSED and is_open)


def route_data(route: ConversationRoute | None) -> dict[str, Any] | None:
    if route is None:
        return None
    return {
        "team": route.team_name,
        "rule": route.rule_name,
        "priority": route.priority,
        "within_hours": route.within_hours,
        "bot": route.with_bot,
        "escalated_at": route.escalated_at.isoformat() if route.escalated_at else None,
    }


def _send_rule_reply(conversation: Conversation, rule: RoutingRule) -> bool:
    """Send the rule's automatic reply; True when something was queued."""
    if rule.reply_rich_object_id is not None:
        return False  # sent after commit: it may call Apple Pay over HTTP
    if rule.reply_text:
        message_send(
            conversation=conversation,
            sender=None,
            text=rule.reply_text,
            auto_reply=True,
        )
        return True
    return False


def _send_rich_reply(conversation: Conversation, rule: RoutingRule) -> bool:
    """Send the rule's rich object through richobjects' ordinary send pipeline
    (which falls back to the text alternative on devices that cannot show it)."""
    rich_object = rule.reply_rich_object
    if rich_object is None:
        return False
    try:
        # A savepoint: a broken object must not undo the route itself.
        with transaction.atomic():
            rich_object_send(
                conversation=conversation,
                object_or_version=rich_object,
                sender=None,
                auto_reply=True,
            )
    except (ApplicationError, ValidationError) as exc:
        logger.warning(
            "routing.rich_reply_failed",
            extra={"rule": rule.pk, "conversation": conversation.id, "error": str(exc)},
        )
        return False
    return True


# Routing normally runs within a second of the first message; a conversation
# still without a route after this long lost its task (a dropped connection,
# a broker outage), and the sweeper routes it.
UNROUTED_AFTER = timedelta(seconds=30)
# Older conversations are history, not a routing backlog.
UNROUTED_HORIZON = timedelta(days=1)


def conversations_route_unrouted(*, limit: int = 200) -> int:
    """Route every recent conversation that has no route yet; returns how many."""
    now = timezone.now()
    ids = list(
        Conversation.objects.filter(
            created_at__lt=now - UNROUTED_AFTER,
            created_at__gte=now - UNROUTED_HORIZON,
            route__isnull=True,
        )
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    routed = 0
    for conversation_id in ids:
        try:
            conversation_route(conversation_id=conversation_id)
        except (OperationalError, InterfaceError):
            logger.warning(
                "routing.sweep_failed", extra={"conversation_id": conversation_id}
            )
            break  # the database is away: the next pass tries again
        routed += 1
    if routed:
        logger.warning("routing.swept", extra={"count": routed})
    return routed


def conversation_route(*, conversation_id: int) -> ConversationRoute | None:
    """Route a new conversation once.

    Idempotent: the ConversationRoute row is the claim, so a redelivered task or
    a second call finds it and does nothing. Returns the route, or None when the
    conversation is gone.
    """
    with transaction.atomic():
        conversation = (
            Conversation.objects.select_for_update(of=("self",))
            .select_related("business", "customer")
            .filter(pk=conversation_id)
            .first()
        )
        if conversation is None:
            return None
        existing = ConversationRoute.objects.filter(conversation=conversation).first()
        if existing is not None:
            return existing
        business = conversation.business
        is_open = business_is_open(business=business)
        rule = next(
            (
                candidate
                for candidate in RoutingRule.objects.filter(
                    business=business, enabled=True
                ).select_related("team", "reply_rich_object__published_version")
                if rule_matches(
                    rule=candidate, conversation=conversation, is_open=is_open
                )
            ),
            None,
        )
        try:
            with transaction.atomic():
                route = ConversationRoute.objects.create(
                    conversation=conversation,
                    rule=rule,
                    team=rule.team if rule else None,
                    rule_name=rule.name if rule else "",
                    team_name=rule.team.name if rule and rule.team else "",
                    priority=rule.priority
                    if rule
                    else ConversationRoute._meta.get_field("priority").default,
                    within_hours=is_open,
                    bot=bool(rule and rule.bot),
                )
        except IntegrityError:
            # Another worker routed it between the check and the insert.
            return ConversationRoute.objects.get(conversation=conversation)

        changed = rule is not None
        if (
            rule is not None
            and rule.assignee_id is not None
            and conversation.assigned_agent_id is None
            and Membership.objects.filter(
                business=business, user_id=rule.assignee_id
            ).exists()
        ):
            conversation.assigned_agent_id = rule.assignee_id
            conversation.save(update_fields=["assigned_agent"])
            assignment_announce(conversation=conversation, previous_id=None)
        elif (
            rule is not None
            and rule.auto_assign
            and rule.team is not None
            and conversation.assigned_agent_id is None
        ):
            conversation_auto_assign(conversation=conversation, team=rule.team)
        if not conversation.is_closed:
            if rule is not None and _send_rule_reply(conversation, rule):
                route.auto_reply_sent = True
            away = channel_settings_get(business=business).away_message
            if not is_open and away:
                message_send(
                    conversation=conversation, sender=None, text=away, auto_reply=True
                )
                route.away_message_sent = True
                changed = True
            route.save(update_fields=["auto_reply_sent", "away_message_sent"])
        if changed:
            conversation.refresh_from_db(fields=["assigned_agent"])
            realtime.push_conversation_changed(conversation)
    # A rich reply can make network calls (an Apple Pay merchant session), which
    # must not run under the row lock above. The route row already claims this
    # conversation, so only this caller gets here: the reply goes at most once.
    if (
        rule is not None
        and rule.reply_rich_object_id is not None
        and not conversation.is_closed
    ) and _send_rich_reply(conversation, rule):
        ConversationRoute.objects.filter(pk=route.pk).update(auto_reply_sent=True)
        route.auto_reply_sent = True
    logger.info(
        "conversation.routed",
        extra={
            "conversation": conversation_id,
            "rule": route.rule_id,
            "team": route.team_id,
            "within_hours": is_open,
        },
    )
    return route


def conversation_escalate(
    *, conversation: Conversation, actor: User
) -> ConversationRoute:
    """Take a conversation from the bot to a person. Always allowed to any member
    of the business; escalating twice is harmless."""
    if not Membership.objects.filter(
        business_id=conversation.business_id, user=actor
    ).exists():
        raise ApplicationError(gettext("Only people of this business can escalate."))
    with transaction.atomic():
        route, _ = ConversationRoute.objects.select_for_update().get_or_create(
            conversation=conversation
        )
        if route.escalated_at is None:
            route.escalated_at = timezone.now()
            route.escalated_by = actor
            route.save(update_fields=["escalated_at", "escalated_by"])
            conversation = Conversation.objects.select_related(
                "business", "customer", "assigned_agent"
            ).get(pk=conversation.pk)
            realtime.push_conversation_changed(conversation)
    logger.info(
        "conversation.escalated",
        extra={"conversation": conversation.id, "actor": actor.pk},
    )
    return route
