"""The inbox and conversation pages cost a fixed number of queries, however big."""

from __future__ import annotations

import pytest
from django.test import Client

from conversations.models import Conversation, Customer, Message

pytestmark = pytest.mark.django_db

# Session, user, memberships, count, page, teammates, intents (+ the read marker
# and conversation on the conversation page, + its route from businesses/).
# Measured, with a little headroom.
INBOX_QUERIES = 10
CONVERSATION_QUERIES = 17


def seed(business, conversations: int, messages_each: int) -> list[Conversation]:
    start = Customer.objects.count()
    customers = Customer.objects.bulk_create(
        [
            Customer(business=business, apple_id=f"urn:mbid:load-{start + n}")
            for n in range(conversations)
        ]
    )
    rows = Conversation.objects.bulk_create(
        [
            Conversation(
                business=business,
                customer=customer,
                intent=f"intent-{n % 5}",
                group=f"group-{n % 3}",
            )
            for n, customer in enumerate(customers)
        ]
    )
    Message.objects.bulk_create(
        [
            Message(
                conversation=conversation,
                direction=Message.Direction.IN if n % 2 else Message.Direction.OUT,
                body=f"message {n}",
                status=Message.Status.RECEIVED if n % 2 else Message.Status.SENT,
            )
            for conversation in rows
            for n in range(messages_each)
        ]
    )
    return rows


def test_inbox_queries_do_not_grow_with_conversations(
    console: Client, business, django_assert_max_num_queries
) -> None:
    seed(business, conversations=300, messages_each=4)
    with django_assert_max_num_queries(INBOX_QUERIES):
        response = console.get("/console/?status=open&intent=intent-1")
    assert response.status_code == 200
    with django_assert_max_num_queries(INBOX_QUERIES):
        response = console.get("/console/?page=3")
    assert response.content.decode().count('class="row-link"') == 50


def test_conversation_page_queries_do_not_grow_with_messages(
    console: Client, business, agent, django_assert_max_num_queries
) -> None:
    (conversation,) = seed(business, conversations=1, messages_each=600)
    target = conversation.messages.filter(direction=Message.Direction.OUT).last()
    Message.objects.create(
        conversation=conversation,
        direction=Message.Direction.IN,
        kind=Message.Kind.REACTION,
        reaction_type="loved",
        reaction_target=target,
        body="Loved “x”",
        status=Message.Status.RECEIVED,
        sender=agent,
    )
    seed(business, conversations=120, messages_each=2)
    with django_assert_max_num_queries(CONVERSATION_QUERIES):
        response = console.get(f"/console/c/{conversation.id}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Show earlier messages" in html
    assert html.count('"direction": ') == 100  # one page of history


def test_message_search_can_use_the_trigram_index(agent, conversation):
    """On PostgreSQL the text match of the search is served by an index, not a
    walk through every message."""
    from django.db import connection

    from conversations.models import Message

    if connection.vendor != "postgresql":
        pytest.skip("the trigram index exists on PostgreSQL only")
    # The predicate exactly as the search writes it (body__icontains).
    match = Message.objects.filter(body__icontains="needle").only("id")
    sql, params = match.query.sql_with_params()
    with connection.cursor() as cursor:
        # With a handful of rows the planner would rightly scan; ask it whether
        # it can use the index at all.
        cursor.execute("SET LOCAL enable_seqscan = off")
        # …and not walk the primary key instead: only an index on the text can
        # then answer it (GIN serves through a bitmap scan).
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "conversations_message_body_upper_trgm" in plan
