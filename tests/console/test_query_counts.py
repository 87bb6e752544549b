"""The inbox and conversation pages cost a fixed number of queries, however big."""

from __future__ import annotations

import pytest
from django.test import Client

from conversations.models import Conversation, Customer, Message

pytestmark = pytest.mark.django_db

# Session, user, memberships, count, page, the page's labels, teammates, intents,
# the business's labels (+ the read marker and conversation with its labels on the
# conversation page, + its route from businesses/, + insights' facts of the inbox
# rows, of the conversation and its survey). Measured, with a little headroom.
INBOX_QUERIES = 12
CONVERSATION_QUERIES = 23


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


def test_labels_and_named_customers_cost_no_query_per_row(
    console: Client, business, django_assert_max_num_queries
) -> None:
    from conversations.models import Label

    rows = seed(business, conversations=120, messages_each=2)
    labels = Label.objects.bulk_create(
        [Label(business=business, name=f"l{n}", color="#123456") for n in range(8)]
    )
    Customer.objects.filter(business=business).update(
        display_name="Named", email="x@example.com"
    )
    for n, conversation in enumerate(rows):
        conversation.labels.add(*labels[: n % 4 + 1])
    with django_assert_max_num_queries(INBOX_QUERIES):
        html = console.get("/console/").content.decode()
    assert html.count('data-label-color="#123456"') > 50
    assert "Named" in html
    with django_assert_max_num_queries(INBOX_QUERIES):
        assert console.get(f"/console/?label={labels[0].id}").status_code == 200
    with django_assert_max_num_queries(CONVERSATION_QUERIES):
        page = console.get(f"/console/c/{rows[3].id}/")
    assert page.status_code == 200


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


def seed_interactive_replies(conversation: Conversation, count: int) -> None:
    """``count`` list pickers sent, each answered by the customer (one twice)."""
    for n in range(count):
        question = Message.objects.create(
            conversation=conversation,
            direction=Message.Direction.OUT,
            kind=Message.Kind.INTERACTIVE,
            body=f"Pick a colour {n}",
            request_identifier=f"req-{n}",
            status=Message.Status.SENT,
            raw={
                "interactiveData": {
                    "bid": "com.apple.messages.MSMessageExtensionBalloonPlugin:0000000000:com.apple.icloud.apps.messages.business.extension",
                    "data": {
                        "requestIdentifier": f"req-{n}",
                        "listPicker": {
                            "sections": [
                                {
                                    "items": [
                                        {"identifier": "1", "title": "Blue"},
                                        {"identifier": "2", "title": "Red"},
                                    ],
                                    "multipleSelection": False,
                                    "order": 0,
                                    "title": "Colours",
                                }
                            ]
                        },
                    },
                }
            },
        )
        answers = 2 if n == 0 else 1
        for _ in range(answers):
            Message.objects.create(
                conversation=conversation,
                direction=Message.Direction.IN,
                kind=Message.Kind.INTERACTIVE,
                request_identifier=f"req-{n}",
                reply_to=question,
                status=Message.Status.RECEIVED,
                raw={
                    "interactiveData": {
                        "data": {
                            "requestIdentifier": f"req-{n}",
                            "listPicker": {
                                "sections": [
                                    {
                                        "items": [{"identifier": "1", "title": "Blue"}],
                                        "order": 0,
                                    }
                                ]
                            },
                        }
                    }
                },
            )


def test_conversation_page_with_interactive_replies_costs_no_query_per_reply(
    console: Client, business, django_assert_max_num_queries
) -> None:
    (conversation,) = seed(business, conversations=1, messages_each=4)
    seed_interactive_replies(conversation, 10)
    # Two queries present every reply of the page: their questions and each
    # question's first answer.
    with django_assert_max_num_queries(CONVERSATION_QUERIES + 2) as ten:
        response = console.get(f"/console/c/{conversation.id}/")
    assert response.status_code == 200
    html = response.content.decode()
    # Every reply reads its answer next to its question; the repeat is marked.
    assert html.count('"question_title": "Pick a colour') == 11
    assert html.count('"duplicate": true') == 1
    seed_interactive_replies(conversation, 10)
    with django_assert_max_num_queries(len(ten)):
        assert console.get(f"/console/c/{conversation.id}/").status_code == 200


def test_message_list_api_with_interactive_replies_costs_no_query_per_reply(
    business, agent, django_assert_max_num_queries
) -> None:
    from rest_framework.test import APIClient

    (conversation,) = seed(business, conversations=1, messages_each=2)
    seed_interactive_replies(conversation, 10)
    api = APIClient()
    api.force_authenticate(agent)
    url = f"/api/v1/conversations/{conversation.id}/messages/?limit=100"
    with django_assert_max_num_queries(6) as captured:
        response = api.get(url)
    assert response.status_code == 200
    replies = [m for m in response.json()["results"] if m["rich"]]
    assert len(replies) == 11
    assert sum(m["rich"]["reply"]["duplicate"] for m in replies) == 1
    assert len(captured) <= 6
