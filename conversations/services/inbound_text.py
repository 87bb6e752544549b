"""A known customer's plain text, stored in one statement (PostgreSQL).

Most of Apple's traffic is text from a customer whose conversation we have. In
a transaction that was four round trips (BEGIN, the conversation's touch, the
insert, COMMIT) and the server's threads spent most of their time waiting on
them (bench/inbound.py with PROFILE_WALL=1). Here the conversation is locked and
updated and the message inserted by one statement in autocommit: a statement is
atomic, and the row lock orders a customer's messages as the transaction did. A
redelivery fails on the unique Apple id and changes nothing, as before.

A resolved conversation (a feature decides whether the message reopens it), a
customer we do not know yet, or SQLite: None, and the caller takes the
transactional way.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from django.db import connection, models, transaction

from ..apple.payloads import InboundEnvelope
from ..models import Message
from .inbound_touch import Touched, touch_params, touch_parts, touched_from_row


@cache
def _statement() -> tuple[str, list[models.Field]]:
    meta = Message._meta
    conversation_fk = meta.get_field("conversation")
    fields = [
        f for f in meta.concrete_fields if f is not meta.pk and f is not conversation_fk
    ]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in [conversation_fk, *fields])
    # Typed: in a SELECT list PostgreSQL would take an untyped NULL for
    # text. Without a length, so an overlong value fails as in an INSERT.
    values = ", ".join(
        f"CAST(%(m_{f.column})s AS {str(f.db_type(connection)).split('(')[0]})"
        for f in fields
    )
    old, update = touch_parts(keep_resolved_out=True)
    sql = f"""
        WITH {old}, touched AS ({update}),
        inserted AS (
            INSERT INTO {quote(meta.db_table)} ({columns})
            SELECT touched.id, {values} FROM touched RETURNING id
        )
        SELECT touched.*, inserted.id FROM touched, inserted
    """  # noqa: S608 (names from the model; values are parameters)
    return sql, fields


def text_store(
    *, business_id: int, envelope: InboundEnvelope, message: Message, now: datetime
) -> Touched | None:
    """Store ``message`` (an inbound text not yet saved) in its customer's
    conversation with the business, brought up to date as ``conversation_touch``
    does; None (nothing written) when it must take the transactional way."""
    if connection.vendor != "postgresql":
        return None
    sql, fields = _statement()
    params = touch_params(business_id=business_id, envelope=envelope, now=now)
    for f in fields:
        params[f"m_{f.column}"] = f.get_db_prep_save(
            f.pre_save(message, True), connection
        )
    if connection.in_atomic_block:
        # Inside someone's transaction (a test's, a batch's) a failed insert
        # must undo only itself.
        with transaction.atomic():
            row = _run(sql, params)
    else:
        row = _run(sql, params)
    if row is None:
        return None
    touched = touched_from_row(row[:-1])
    message.pk = row[-1]
    message.conversation = touched.conversation
    message._state.adding = False
    message._state.db = connection.alias
    return touched


def _run(sql: str, params: dict[str, Any]) -> tuple[Any, ...] | None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()
