"""A known customer's conversation, locked and brought up to date for a new message.

Every inbound message locks its conversation (messages of one customer are
stored one after another) and records what the device told us. On PostgreSQL
that is one statement: a locking read of the old state in a CTE and the update
in the same round trip, returning both. The ORM's read, then ``save()``, cost
two round trips and a third of the webhook's time in the server compiling and
building them. Other databases (SQLite in development) take the ORM's way.

Status: the message reopens the conversation, except one that is resolved,
which stays so here; the caller asks the features whether it should (a survey
answer keeps it resolved) once the message is stored, and reopens it if not.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import QuerySet

from ..apple.payloads import InboundEnvelope
from ..models import Business, Conversation, Customer


@dataclass
class Touched:
    conversation: Conversation
    old_status: str
    # This message is the conversation's first (it never had one before).
    starts: bool


def _fit(field_name: str, value: str) -> str:
    """Cut a descriptive value to its column: a customer's message is never lost
    because a header is longer than we store (the whole value stays in ``raw``)."""
    column = Conversation._meta.get_field(field_name)
    max_length = getattr(column, "max_length", None)
    return value[:max_length] if max_length else value


def _device_fields(envelope: InboundEnvelope) -> dict[str, str | list[str]]:
    # Every message carries the device's current abilities; the latest one
    # wins. The first entry point a customer came through decides routing;
    # later ones stay in each message's raw payload.
    return {
        "capabilities": sorted(envelope.capabilities),
        "device_agent": _fit("device_agent", envelope.device_agent or ""),
        "locale": _fit("locale", envelope.locale or ""),
        "intent": _fit("intent", envelope.intent or ""),
        "group": _fit("group", envelope.group or ""),
    }


_FIELDS = Conversation._meta.concrete_fields


def touch_parts(*, keep_resolved_out: bool = False) -> tuple[str, str]:
    """The locking read of the old state (a CTE named ``old``) and the update
    of the conversation from it, returning its new row then the old status and
    ``last_message_at``. With ``keep_resolved_out``, a resolved conversation is
    locked but not updated (the caller takes the ORM's way for it)."""
    conversations = Conversation._meta.db_table
    returning = ", ".join(
        f"c.{connection.ops.quote_name(field.column)}" for field in _FIELDS
    )
    # From the customer's unique (business, Apple id) index to its one
    # conversation (whose business is the customer's). Starting from the
    # business's conversations, a planner with stale statistics read all its
    # customers once per conversation.
    old = f"""
        old AS (
            SELECT c.id, c.status, c.last_message_at
            FROM {Customer._meta.db_table} AS cu
            JOIN {conversations} AS c ON c.customer_id = cu.id
            JOIN {Business._meta.db_table} AS b ON b.id = cu.business_id
            WHERE cu.business_id = %(business_id)s
              AND cu.apple_id = %(customer_apple_id)s
              AND b.apple_id = %(business_apple_id)s
            FOR UPDATE OF c
        )"""  # noqa: S608 (table names from our models; values are parameters)
    resolved_out = " AND old.status <> %(resolved)s" if keep_resolved_out else ""
    update = f"""
        UPDATE {conversations} AS c SET
            status = CASE WHEN old.status = %(resolved)s
                THEN old.status ELSE %(open)s END,
            closed_at = NULL,
            last_message_at = %(now)s,
            capabilities = %(capabilities)s::jsonb,
            device_agent = COALESCE(NULLIF(%(device_agent)s, ''), c.device_agent),
            locale = COALESCE(NULLIF(%(locale)s, ''), c.locale),
            intent = CASE WHEN c.intent = '' THEN %(intent)s ELSE c.intent END,
            "group" = CASE WHEN c."group" = '' THEN %(group)s ELSE c."group" END
        FROM old
        WHERE c.id = old.id{resolved_out}
        RETURNING {returning}, old.status AS old_status,
            old.last_message_at AS old_last_message_at"""  # noqa: S608 (as above)
    return old, update


def touch_params(
    *, business_id: int, envelope: InboundEnvelope, now: datetime
) -> dict[str, Any]:
    fields = _device_fields(envelope)
    return {
        **fields,
        "capabilities": json.dumps(fields["capabilities"]),
        "business_id": business_id,
        "business_apple_id": envelope.destination_id,
        "customer_apple_id": envelope.source_id,
        "resolved": Conversation.Status.RESOLVED,
        "open": Conversation.Status.OPEN,
        "now": now,
    }


def touched_from_row(row: tuple[object, ...]) -> Touched:
    """The conversation and its old state from a row ``touch_parts`` returned."""
    values = list(row[: len(_FIELDS)])
    old_status, old_last_message_at = row[len(_FIELDS) : len(_FIELDS) + 2]
    # Each field's own conversion from the database (the JSON column), as the
    # ORM's queries apply it.
    values = [
        field.from_db_value(value, None, connection)
        if hasattr(field, "from_db_value")
        else value
        for field, value in zip(_FIELDS, values, strict=True)
    ]
    conversation = Conversation.from_db(
        connection.alias, [field.attname for field in _FIELDS], values
    )
    return Touched(
        conversation=conversation,
        old_status=str(old_status),
        starts=old_last_message_at is None,
    )


_SQL: dict[str, str] = {}


def conversation_touch(
    *, business_id: int, envelope: InboundEnvelope, now: datetime
) -> Touched | None:
    """Lock and update the conversation of ``envelope``'s customer with the
    business (whose Apple id must still be ``envelope``'s); None if there is none."""
    if connection.vendor != "postgresql":
        return _touch_with_orm(business_id=business_id, envelope=envelope, now=now)
    if "touch" not in _SQL:
        old, update = touch_parts()
        _SQL["touch"] = f"WITH {old} {update}"
    params = touch_params(business_id=business_id, envelope=envelope, now=now)
    with connection.cursor() as cursor:
        cursor.execute(_SQL["touch"], params)
        row = cursor.fetchone()
    return touched_from_row(row) if row is not None else None


def customer_conversation(
    business_id: int, envelope: InboundEnvelope
) -> QuerySet[Conversation]:
    """The conversation of ``envelope``'s customer with the business, which
    must still carry ``envelope``'s Apple id (a remembered id is never trusted)."""
    # By the customer, as ``touch_parts`` does: its unique index, then its one
    # conversation (whose business is the customer's).
    return Conversation.objects.filter(
        customer__business_id=business_id,
        customer__apple_id=envelope.source_id,
        customer__business__apple_id=envelope.destination_id,
    )


def _touch_with_orm(
    *, business_id: int, envelope: InboundEnvelope, now: datetime
) -> Touched | None:
    conversation = (
        customer_conversation(business_id, envelope).select_for_update().first()
    )
    if conversation is None:
        return None
    touched = Touched(
        conversation=conversation,
        old_status=conversation.status,
        starts=conversation.last_message_at is None,
    )
    fields = _device_fields(envelope)
    conversation.capabilities = fields["capabilities"]
    for name in ("device_agent", "locale"):
        if fields[name]:
            setattr(conversation, name, fields[name])
    for name in ("intent", "group"):
        if not getattr(conversation, name):
            setattr(conversation, name, fields[name])
    if conversation.status != Conversation.Status.RESOLVED:
        conversation.status = Conversation.Status.OPEN
    conversation.closed_at = None
    conversation.last_message_at = now
    conversation.save()
    return touched
