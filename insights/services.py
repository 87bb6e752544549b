"""Writing down what the core announced: the event log and each conversation's facts.

Every handler locks the conversation's facts row, so two workers recording
events of one conversation take turns; times come from the events, not from
when the handler ran.
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from conversations.models import Conversation, Message

from .models import ConversationEvent, ConversationFacts, CsatSurvey
from .sla import breaches_record, facts_due_times, facts_settle_breaches, priority_of

Status = Conversation.Status


def _facts_locked(conversation_id: int) -> ConversationFacts | None:
    return (
        ConversationFacts.objects.select_for_update()
        .filter(conversation_id=conversation_id)
        .first()
    )


def facts_open(*, conversation_id: int, opened_at: datetime) -> ConversationFacts:
    """The conversation's first customer message: start its facts and log it."""
    conversation = Conversation.objects.select_related("business").get(
        pk=conversation_id
    )
    with transaction.atomic():
        facts, created = ConversationFacts.objects.get_or_create(
            conversation_id=conversation_id,
            defaults={
                "business_id": conversation.business_id,
                "opened_at": opened_at,
                "waiting_since": opened_at,
                "priority": priority_of(conversation_id),
            },
        )
        if created:
            facts_due_times(facts, business=conversation.business)
            facts.save(update_fields=["first_response_due_at", "resolution_due_at"])
            ConversationEvent.objects.create(
                business_id=conversation.business_id,
                conversation_id=conversation_id,
                kind=ConversationEvent.Kind.OPENED,
                new_status=Status.OPEN,
                occurred_at=opened_at,
            )
    return facts


def _facts_or_open(conversation_id: int, at: datetime) -> ConversationFacts:
    facts = _facts_locked(conversation_id)
    if facts is None:
        # Events of a conversation from before this app recorded anything.
        facts_open(conversation_id=conversation_id, opened_at=at)
        facts = ConversationFacts.objects.select_for_update().get(
            conversation_id=conversation_id
        )
    return facts


def _stop_waiting(facts: ConversationFacts, at: datetime) -> None:
    if facts.waiting_since is not None and facts.waiting_since <= at:
        facts.waiting_seconds += (at - facts.waiting_since).total_seconds()
        facts.waiting_since = None


def customer_message_record(*, conversation_id: int, at: datetime) -> bool:
    """A customer message starts a wait unless one runs or the conversation
    stays resolved (a survey answer). Returns whether a survey is out.

    One statement for both, on the webhook's hot path (tests/conversations/
    test_inbound_hot_path.py counts its queries).
    """
    if connection.vendor != "postgresql":
        # SQLite (development) has no UPDATE inside WITH: two statements.
        ConversationFacts.objects.filter(
            conversation_id=conversation_id, waiting_since__isnull=True
        ).exclude(conversation__status=Status.RESOLVED).update(waiting_since=at)
        return CsatSurvey.objects.filter(
            conversation_id=conversation_id,
            status__in=[CsatSurvey.Status.SENT, CsatSurvey.Status.ANSWERED],
        ).exists()
    facts = ConversationFacts._meta.db_table
    conversations = Conversation._meta.db_table
    surveys = CsatSurvey._meta.db_table
    # The update writes only when a wait starts: the customer's later messages
    # make it a read, which PostgreSQL commits without flushing its log.
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH started AS (
                UPDATE {facts} AS f SET waiting_since = %s
                FROM {conversations} AS c
                WHERE f.conversation_id = %s AND c.id = f.conversation_id
                  AND f.waiting_since IS NULL AND c.status <> %s
                RETURNING f.conversation_id
            )
            SELECT EXISTS (
                SELECT 1 FROM {surveys} AS s
                WHERE s.conversation_id = %s AND s.status IN (%s, %s)
            )
            """,  # noqa: S608 (table names from our models; values are parameters)
            [
                at,
                conversation_id,
                Status.RESOLVED,
                conversation_id,
                CsatSurvey.Status.SENT,
                CsatSurvey.Status.ANSWERED,
            ],
        )
        row = cursor.fetchone()
    return bool(row and row[0])


def agent_reply_record(*, conversation_id: int, sender_id: int, at: datetime) -> None:
    with transaction.atomic():
        facts = _facts_or_open(conversation_id, at)
        if facts.first_response_at is None:
            facts.first_response_at = at
            facts.first_responder_id = sender_id
            facts.first_response_seconds = (at - facts.opened_at).total_seconds()
            ConversationEvent.objects.create(
                business_id=facts.business_id,
                conversation_id=conversation_id,
                kind=ConversationEvent.Kind.FIRST_RESPONSE,
                actor_id=sender_id,
                occurred_at=at,
            )
        _stop_waiting(facts, at)
        breaches_record(facts, facts_settle_breaches(facts, now=timezone.now()))
        facts.save()


def assignment_record(
    *,
    conversation_id: int,
    assignee_id: int | None,
    actor_id: int | None,
    at: datetime,
) -> None:
    with transaction.atomic():
        facts = _facts_or_open(conversation_id, at)
        ConversationEvent.objects.create(
            business_id=facts.business_id,
            conversation_id=conversation_id,
            kind=ConversationEvent.Kind.ASSIGNED,
            actor_id=actor_id,
            assignee_id=assignee_id,
            occurred_at=at,
        )


def status_change_record(
    *,
    conversation_id: int,
    old_status: str,
    new_status: str,
    actor_id: int | None,
    at: datetime,
) -> ConversationFacts:
    """Log the change and keep resolved/waiting times right, reopens included."""
    with transaction.atomic():
        facts = _facts_or_open(conversation_id, at)
        kind = ConversationEvent.Kind.STATUS_CHANGED
        if new_status == Status.RESOLVED:
            kind = ConversationEvent.Kind.RESOLVED
            assigned = (
                Conversation.objects.filter(pk=conversation_id)
                .values_list("assigned_agent_id", flat=True)
                .first()
            )
            facts.resolved_at = at
            facts.first_resolved_at = facts.first_resolved_at or at
            facts.resolved_by_id = assigned or actor_id
            facts.resolutions += 1
            facts.resolution_seconds = (at - facts.opened_at).total_seconds()
            _stop_waiting(facts, at)
        elif new_status == Status.CLOSED:
            kind = ConversationEvent.Kind.CLOSED
            _stop_waiting(facts, at)
        elif old_status in (Status.RESOLVED, Status.CLOSED) and new_status in (
            Status.OPEN,
            Status.PENDING,
        ):
            kind = ConversationEvent.Kind.REOPENED
            facts.resolved_at = None
            facts.resolution_seconds = None
            facts.resolution_breached = None
            facts.reopens += 1
            if actor_id is None:
                # The customer's own message reopened it: they wait from now.
                facts.waiting_since = at
        ConversationEvent.objects.create(
            business_id=facts.business_id,
            conversation_id=conversation_id,
            kind=kind,
            actor_id=actor_id,
            old_status=old_status,
            new_status=new_status,
            occurred_at=at,
        )
        breaches_record(facts, facts_settle_breaches(facts, now=timezone.now()))
        facts.save()
    return facts


def facts_rebuild_from_messages(
    *, conversation: Conversation
) -> ConversationFacts | None:
    """What the messages alone tell (the back-fill): opening, first reply, waiting.

    Status history before this app existed was never stored, so a conversation
    resolved back then has no ``resolved_at``.
    """
    rows = list(
        Message.objects.filter(conversation=conversation)
        .exclude(direction=Message.Direction.INTERNAL)
        .order_by("created_at", "id")
        .values_list("direction", "sender_id", "auto_reply", "created_at", "kind")
    )
    inbound = [
        r for r in rows if r[0] == Message.Direction.IN and r[4] != Message.Kind.SYSTEM
    ]
    if not inbound:
        return None
    opened_at = inbound[0][3]
    facts = ConversationFacts(
        conversation=conversation,
        business_id=conversation.business_id,
        opened_at=opened_at,
        priority=priority_of(conversation.pk),
    )
    waiting_since: datetime | None = None
    for direction, sender_id, auto_reply, created_at, kind in rows:
        if direction == Message.Direction.IN and kind != Message.Kind.SYSTEM:
            waiting_since = waiting_since or created_at
        elif direction == Message.Direction.OUT and sender_id and not auto_reply:
            if facts.first_response_at is None:
                facts.first_response_at = created_at
                facts.first_responder_id = sender_id
                facts.first_response_seconds = (created_at - opened_at).total_seconds()
            if waiting_since is not None:
                facts.waiting_seconds += (created_at - waiting_since).total_seconds()
                waiting_since = None
    if conversation.status in (Status.OPEN, Status.PENDING):
        facts.waiting_since = waiting_since
    facts_due_times(facts, business=conversation.business)
    facts_settle_breaches(facts, now=timezone.now())
    with transaction.atomic():
        ConversationFacts.objects.filter(conversation=conversation).delete()
        ConversationEvent.objects.filter(conversation=conversation).delete()
        facts.save()
        ConversationEvent.objects.create(
            business_id=conversation.business_id,
            conversation=conversation,
            kind=ConversationEvent.Kind.OPENED,
            new_status=Status.OPEN,
            occurred_at=opened_at,
        )
        if facts.first_response_at is not None:
            ConversationEvent.objects.create(
                business_id=conversation.business_id,
                conversation=conversation,
                kind=ConversationEvent.Kind.FIRST_RESPONSE,
                actor_id=facts.first_responder_id,
                occurred_at=facts.first_response_at,
            )
    return facts
