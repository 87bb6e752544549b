"""Inbox power: bulk actions, mark all read, sort by waiting time."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from conversations.models import Conversation, Message, ReadMarker
from tests.factories import ConversationFactory, LabelFactory

pytestmark = pytest.mark.django_db

BULK = "/api/v1/conversations/bulk/"


def say(conversation, direction: str, minutes_ago: int) -> Message:
    at = timezone.now() - dt.timedelta(minutes=minutes_ago)
    message = Message.objects.create(
        conversation=conversation,
        direction=direction,
        body=f"{direction} {minutes_ago}",
        status="received" if direction == "in" else "sent",
    )
    Conversation.objects.filter(pk=conversation.pk).update(last_message_at=at)
    return message


def test_bulk_resolve_assign_and_label(
    api_client, agent, business, foreign_conversation
) -> None:
    a, b = (ConversationFactory(customer__business=business) for _ in range(2))
    closed = ConversationFactory(customer__business=business, status="closed")
    response = api_client.post(
        BULK,
        {"ids": [a.id, b.id, closed.id, foreign_conversation.id], "action": "resolve"},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    # A customer-closed conversation resolves too (its replies stay locked).
    assert body["done"] == [a.id, b.id, closed.id]
    refused = {item["id"]: item["code"] for item in body["refused"]}
    assert refused == {foreign_conversation.id: "not_found"}
    assert Conversation.objects.get(pk=closed.pk).is_closed
    assert set(
        Conversation.objects.filter(pk__in=[a.id, b.id, closed.id]).values_list(
            "status", flat=True
        )
    ) == {"resolved"}
    assert Conversation.objects.get(pk=foreign_conversation.pk).status == "open"

    api_client.post(
        BULK,
        {"ids": [a.id, b.id], "action": "assign", "assignee": agent.id},
        format="json",
    )
    assert Conversation.objects.filter(assigned_agent=agent).count() == 2
    label = LabelFactory(business=business)
    api_client.post(
        BULK,
        {"ids": [a.id, b.id], "action": "label", "label_id": label.id},
        format="json",
    )
    assert label.conversations.count() == 2


def test_bulk_refuses_bad_input(api_client, conversation) -> None:
    assert (
        api_client.post(
            BULK, {"ids": [], "action": "resolve"}, format="json"
        ).status_code
        == 400
    )
    assert (
        api_client.post(
            BULK, {"ids": [conversation.id], "action": "explode"}, format="json"
        ).status_code
        == 400
    )
    too_many = api_client.post(
        BULK, {"ids": list(range(1, 102)), "action": "resolve"}, format="json"
    )
    assert too_many.status_code == 400
    no_label = api_client.post(
        BULK, {"ids": [conversation.id], "action": "label"}, format="json"
    )
    assert no_label.status_code == 400
    assert no_label.json()["error"]["code"] == "label_required"


def test_mark_all_read(api_client, agent, business) -> None:
    a, b = (ConversationFactory(customer__business=business) for _ in range(2))
    last_a = say(a, "in", 5)
    say(b, "in", 4)
    last_b = say(b, "in", 3)
    ReadMarker.objects.create(
        user=agent, conversation=a, last_read_message_id=last_a.id + 1000
    )
    response = api_client.post("/api/v1/conversations/read-all/")
    assert response.json() == {"marked": 1}
    # Never backwards.
    assert (
        ReadMarker.objects.get(user=agent, conversation=a).last_read_message_id
        == last_a.id + 1000
    )
    assert (
        ReadMarker.objects.get(user=agent, conversation=b).last_read_message_id
        == last_b.id
    )
    client = Client()
    client.force_login(agent)
    assert 'class="unread-badge"' not in client.get("/console/").content.decode()


def test_sort_by_waiting_time(console: Client, business) -> None:
    answered = ConversationFactory(customer__business=business)
    say(answered, "in", 60)
    say(answered, "out", 50)
    long_wait = ConversationFactory(customer__business=business)
    say(long_wait, "in", 40)
    short_wait = ConversationFactory(customer__business=business)
    say(short_wait, "in", 2)
    html = console.get("/console/?sort=waiting").content.decode()
    order = [
        html.index(f'data-conversation="{c.id}"')
        for c in (long_wait, short_wait, answered)
    ]
    assert order == sorted(order)
    assert "waiting 40" in html
    latest = console.get("/console/").content.decode()
    assert latest.index(f'data-conversation="{short_wait.id}"') < latest.index(
        f'data-conversation="{long_wait.id}"'
    )


def test_my_teams_api(api_client, agent, business) -> None:
    from businesses import services

    services.team_save(business=business, name="Support", member_ids=[agent.pk])
    services.team_save(business=business, name="Sales", member_ids=[])
    page = api_client.get("/api/v1/me/teams/").json()
    assert (page["next"], page["previous"]) == (None, None)
    teams = page["results"]
    assert [(t["name"], t["business"]) for t in teams] == [("Support", business.id)]
