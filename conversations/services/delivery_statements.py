"""The delivery task's statements: one round trip each on PostgreSQL.

A send used to take four statements besides the call to Apple: read the
message with its conversation, business, customer and sender; claim it; mark
it sent; find the conversation's next one. The worker's threads spent a
quarter of their time there, mostly compiling the ORM's queries
(bench/outbound.py --profile). Here the claim hands back everything the send
reads (``UPDATE … RETURNING`` in a ``WITH``, joined), and settling a message
finds the next one in the same statement; both are built once per process.
SQLite (development) has no ``UPDATE`` inside ``WITH``: it takes the ORM's
statements instead, with the same results (tests/conversations/services/
test_delivery_statements.py compares the two).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, models
from django.utils import timezone

from ..models import Business, Conversation, Customer, Message

# A message in one of these holds the conversation's later messages.
UNSETTLED = (Message.Status.PENDING, Message.Status.SENDING, Message.Status.PAUSED)


@dataclass(frozen=True)
class Next:
    """A conversation's next message waiting to be sent."""

    id: int
    kind: str


def claim(
    message_id: int, *, now: datetime, lease: timedelta, file_lease: timedelta
) -> Message | None:
    """Take a pending outbound message for sending: only while nothing before it
    in its conversation is unsettled (order), only once (the status is the
    claim). Returns it with its conversation, business, customer and sender
    loaded, its status ``sending`` and its lease (``file_lease`` for files)
    running; None when it was not there to take."""
    if connection.vendor == "postgresql":
        return _claim_returning(message_id, now=now, lease=lease, file_lease=file_lease)
    message = (
        Message.objects.select_related(
            "conversation__business", "conversation__customer", "sender"
        )
        .filter(id=message_id, direction=Message.Direction.OUT)
        .first()
    )
    if message is None or message.status != Message.Status.PENDING:
        return None
    lease_now = file_lease if message.kind == Message.Kind.ATTACHMENT else lease
    return message if _claim_row(message, now=now, lease=lease_now) else None


def status_update(
    message: Message, update: dict[str, Any], *, then_next: bool = False
) -> Next | None:
    """Write ``update`` to the message's row; with ``then_next``, also return
    its conversation's next pending message (in the same statement)."""
    if not then_next:
        Message.objects.filter(pk=message.pk).update(**update)
        return None
    if connection.vendor != "postgresql":
        Message.objects.filter(pk=message.pk).update(**update)
        return next_pending(message)
    names = sorted(update)
    fields = [_concrete(name) for name in names]
    sql = _settle_sql(tuple(f.column for f in fields))
    params = [
        *(f.get_db_prep_save(update[f.name], connection) for f in fields),
        message.pk,
        message.conversation_id,
        Message.Direction.OUT,
        Message.Status.PENDING,
        message.pk,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return Next(*row) if row is not None else None


def _concrete(name: str) -> models.Field:
    field = Message._meta.get_field(name)
    if not isinstance(field, models.Field):
        raise TypeError(f"{name} is not a column of messages")
    return field


def next_pending(message: Message) -> Next | None:
    """The conversation's next message waiting to be sent after ``message``."""
    following = (
        Message.objects.filter(
            conversation_id=message.conversation_id,
            direction=Message.Direction.OUT,
            status=Message.Status.PENDING,
            id__gt=message.id,
        )
        .order_by("id")
        .values_list("id", "kind")
        .first()
    )
    return Next(*following) if following is not None else None


# --- PostgreSQL: the statements, built once --------------------------------------


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _earlier_unsettled(alias: str) -> str:
    """SQL: a message before ``alias`` in its conversation is still unsettled."""
    table = _q(Message._meta.db_table)
    unsettled = ", ".join(["%s"] * len(UNSETTLED))
    return (
        f"EXISTS (SELECT 1 FROM {table} AS earlier "  # noqa: S608 (names from the model)
        f"WHERE earlier.conversation_id = {alias}.conversation_id "
        f"AND earlier.direction = %s AND earlier.status IN ({unsettled}) "
        f"AND earlier.id < {alias}.id)"
    )


@dataclass(frozen=True)
class _Loaded:
    """One model's columns in the joined row: where they start, how to convert."""

    model: type[models.Model]
    names: list[str]
    pk_index: int
    converters: list[list[Any]]
    columns: list[Any]


def _loaded(model: type[models.Model], alias: str) -> _Loaded:
    fields = list(model._meta.concrete_fields)
    columns = [f.get_col(alias) for f in fields]
    return _Loaded(
        model=model,
        names=[f.attname for f in fields],
        pk_index=fields.index(model._meta.pk),
        # The ORM's own conversions (JSON text to objects, encrypted fields…).
        converters=[
            connection.ops.get_db_converters(col) + f.get_db_converters(connection)  # type: ignore[attr-defined]
            for f, col in zip(fields, columns, strict=True)
        ],
        columns=columns,
    )


@cache
def _claim_plan() -> tuple[str, list[_Loaded]]:
    table = _q(Message._meta.db_table)
    joined: list[tuple[type[models.Model], str]] = [
        (Message, "claimed"),
        (Conversation, "conv"),
        (Business, "biz"),
        (Customer, "cust"),
        (get_user_model(), "sender"),
    ]
    plans = [_loaded(model, alias) for model, alias in joined]
    select = ", ".join(
        f"{alias}.{_q(f.column)}"
        for model, alias in joined
        for f in model._meta.concrete_fields
    )
    sql = (
        f"WITH claimed AS (UPDATE {table} AS m SET status = %s, "  # noqa: S608 (names from the models; values are parameters)
        "attempts = m.attempts + 1, status_changed_at = %s, "
        "next_attempt_at = CASE WHEN m.kind = %s THEN %s ELSE %s END "
        "WHERE m.id = %s AND m.direction = %s AND m.status = %s "
        f"AND NOT {_earlier_unsettled('m')} RETURNING m.*) "
        f"SELECT {select} FROM claimed "
        f"JOIN {_q(Conversation._meta.db_table)} AS conv "
        "ON conv.id = claimed.conversation_id "
        f"JOIN {_q(Business._meta.db_table)} AS biz ON biz.id = conv.business_id "
        f"JOIN {_q(Customer._meta.db_table)} AS cust ON cust.id = conv.customer_id "
        f"LEFT JOIN {_q(get_user_model()._meta.db_table)} AS sender "
        "ON sender.id = claimed.sender_id"
    )
    return sql, plans


def _instances(row: tuple[Any, ...], plans: list[_Loaded]) -> list[Any]:
    made: list[Any] = []
    start = 0
    for plan in plans:
        values = list(row[start : start + len(plan.names)])
        start += len(plan.names)
        if values[plan.pk_index] is None:  # no sender: the LEFT JOIN's empty side
            made.append(None)
            continue
        for i, converters in enumerate(plan.converters):
            for convert in converters:
                values[i] = convert(values[i], plan.columns[i], connection)
        made.append(plan.model.from_db(connection.alias, plan.names, values))
    return made


def _claim_returning(
    message_id: int, *, now: datetime, lease: timedelta, file_lease: timedelta
) -> Message | None:
    sql, plans = _claim_plan()
    adapt = connection.ops.adapt_datetimefield_value
    params = [
        Message.Status.SENDING,
        adapt(now),
        Message.Kind.ATTACHMENT,
        adapt(now + file_lease),
        adapt(now + lease),
        message_id,
        Message.Direction.OUT,
        Message.Status.PENDING,
        Message.Direction.OUT,
        *UNSETTLED,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    message, conversation, business, customer, sender = _instances(row, plans)
    conversation.business = business
    conversation.customer = customer
    message.conversation = conversation
    message.sender = sender
    return message


@cache
def _settle_sql(columns: tuple[str, ...]) -> str:
    table = _q(Message._meta.db_table)
    assignments = ", ".join(f"{_q(column)} = %s" for column in columns)
    return (
        f"WITH settled AS (UPDATE {table} SET {assignments} WHERE id = %s) "  # noqa: S608 (names from the model; values are parameters)
        f"SELECT id, kind FROM {table} WHERE conversation_id = %s "
        "AND direction = %s AND status = %s AND id > %s ORDER BY id LIMIT 1"
    )


# --- the ORM's way (SQLite) -------------------------------------------------------


def _claim_row(message: Message, *, now: datetime, lease: timedelta) -> bool:
    sql = (
        f"UPDATE {_q(Message._meta.db_table)} AS m SET status = %s, "  # noqa: S608 (names from the model; values are parameters)
        "attempts = m.attempts + 1, status_changed_at = %s, next_attempt_at = %s "
        f"WHERE m.id = %s AND m.status = %s AND NOT {_earlier_unsettled('m')} "
        "RETURNING attempts, failing_since"
    )
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                Message.Status.SENDING,
                adapt(now),
                adapt(now + lease),
                message.id,
                Message.Status.PENDING,
                Message.Direction.OUT,
                *UNSETTLED,
            ],
        )
        row = cursor.fetchone()
    if row is None:
        return False
    message.attempts, failing_since = row
    if isinstance(failing_since, str):  # SQLite hands back text…
        failing_since = datetime.fromisoformat(failing_since)
    if failing_since is not None and timezone.is_naive(failing_since):
        # …or a naive value: stored as UTC, as Django stores every time there.
        failing_since = timezone.make_aware(failing_since, UTC)
    message.failing_since = failing_since
    message.status = Message.Status.SENDING
    message.status_changed_at = now
    message.next_attempt_at = now + lease
    return True
