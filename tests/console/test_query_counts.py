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
