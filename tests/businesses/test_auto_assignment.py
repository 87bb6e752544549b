"""Availability and round-robin auto-assignment within a team, with a cap."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.test import Client

from businesses import routing, services
from businesses.assignment import conversations_hand_on
from conversations import services as core_services
from conversations.models import Availability, Conversation, Membership
from insights.models import ConversationEvent
from tests.factories import ConversationFactory, MembershipFactory, UserFactory
from trust.models import AuditEntry

pytestmark = pytest.mark.django_db


def member(business, name: str, *, tabs: int = 1, chosen: str = "online"):
    user = UserFactory(username=name)
    MembershipFactory(user=user, business=business, role=Membership.Role.AGENT)
    Availability.objects.create(user=user, chosen=chosen, sockets=tabs)
    return user


@pytest.fixture
def trio(business):
    return (
        member(business, "ann"),
        member(business, "ben"),
        member(business, "cat", chosen="away"),
    )


def rule_for(business, team, **extra):
    return services.routing_rule_create(
        business=business, name="All to support", team=team, auto_assign=True, **extra
    )


def route_new(business) -> Conversation:
    conversation = ConversationFactory(customer__business=business)
    routing.conversation_route(conversation_id=conversation.id)
    conversation.refresh_from_db()
    return conversation


def test_online_agents_take_turns_and_an_away_agent_gets_none(business, trio) -> None:
    ann, ben, cat = trio
    team = services.team_save(
        business=business, name="Support", member_ids=[ann.pk, ben.pk, cat.pk]
    )
    rule_for(business, team)
    owners = [route_new(business).assigned_agent for _ in range(4)]
    assert owners == [ann, ben, ann, ben]
    assert cat not in owners


def test_fewest_open_first(business, trio) -> None:
    ann, ben, _ = trio
    team = services.team_save(
        business=business, name="Support", member_ids=[ann.pk, ben.pk]
    )
    rule_for(business, team)
    for _ in range(2):
        ConversationFactory(customer__business=business, assigned_agent=ann)
    assert route_new(business).assigned_agent == ben
    assert route_new(business).assigned_agent == ben
    # Resolved conversations do not count as open.
    Conversation.objects.filter(assigned_agent=ann).update(status="resolved")
    assert route_new(business).assigned_agent == ann


def test_the_cap_leaves_conversations_unassigned(business, trio) -> None:
    ann, _, _ = trio
    team = services.team_save(
        business=business, name="Solo", member_ids=[ann.pk], assign_cap=2
    )
    rule_for(business, team)
    owners = [route_new(business).assigned_agent for _ in range(3)]
    assert owners == [ann, ann, None]


def test_closing_the_last_tab_makes_an_agent_away(business, agent) -> None:
    core_services.availability_socket_opened(user_id=agent.pk)
    core_services.availability_socket_opened(user_id=agent.pk)
    assert core_services.availability_get(user=agent).status == "online"
    core_services.availability_socket_closed(user_id=agent.pk)
    assert core_services.availability_get(user=agent).status == "online"
    core_services.availability_socket_closed(user_id=agent.pk)
    assert core_services.availability_get(user=agent).status == "away"
    # Never below zero, whatever arrives twice.
    core_services.availability_socket_closed(user_id=agent.pk)
    assert Availability.objects.get(user=agent).sockets == 0
    team = services.team_save(business=business, name="T", member_ids=[agent.pk])
    rule_for(business, team)
    assert route_new(business).assigned_agent is None


def test_availability_api(api_client, agent) -> None:
    assert api_client.get("/api/v1/me/availability/").json() == {
        "status": "away",
        "chosen": "online",
    }
    response = api_client.put(
        "/api/v1/me/availability/", {"status": "offline"}, format="json"
    )
    assert response.json() == {"status": "offline", "chosen": "offline"}
    bad = api_client.put(
        "/api/v1/me/availability/", {"status": "asleep"}, format="json"
    )
    assert bad.status_code == 400


def test_auto_assign_needs_a_team(business) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.routing_rule_create(business=business, name="x", auto_assign=True)


def test_going_offline_hands_conversations_on_when_the_team_says_so(
    business, trio
) -> None:
    ann, ben, _ = trio
    team = services.team_save(
        business=business,
        name="Support",
        member_ids=[ann.pk, ben.pk],
        reassign_when_offline=True,
    )
    rule_for(business, team)
    first = route_new(business)
    assert first.assigned_agent == ann
    core_services.availability_set(user=ann, status="offline")
    assert conversations_hand_on(business_id=business.id, user_id=ann.pk) == 1
    first.refresh_from_db()
    assert first.assigned_agent == ben


def test_going_offline_keeps_conversations_when_the_team_did_not_choose_it(
    business, trio
) -> None:
    ann, ben, _ = trio
    team = services.team_save(
        business=business, name="Support", member_ids=[ann.pk, ben.pk]
    )
    rule_for(business, team)
    first = route_new(business)
    assert conversations_hand_on(business_id=business.id, user_id=ann.pk) == 0
    first.refresh_from_db()
    assert first.assigned_agent == ann


def test_my_teams_inbox_filter(business, trio) -> None:
    ann, ben, _ = trio
    support = services.team_save(business=business, name="Support", member_ids=[ann.pk])
    services.team_save(business=business, name="Sales", member_ids=[ben.pk])
    rule_for(business, support)
    mine = route_new(business)
    unrouted = ConversationFactory(customer__business=business)
    client = Client()
    client.force_login(ann)
    html = client.get("/console/?scope=my_teams").content.decode()
    assert f'data-conversation="{mine.id}"' in html
    assert f'data-conversation="{unrouted.id}"' not in html
    other = Client()
    other.force_login(ben)
    assert (
        f'data-conversation="{mine.id}"'
        not in other.get("/console/?scope=my_teams").content.decode()
    )
    # An unknown scope is ignored.
    assert client.get("/console/?scope=everything").status_code == 200


def test_auto_assignments_reach_the_event_log_the_audit_log_and_the_consoles(
    business, trio, django_capture_on_commit_callbacks
) -> None:
    """Routing's assignments are announced like a person's, with the system as actor."""
    ann, ben, _ = trio
    team = services.team_save(
        business=business,
        name="Support",
        member_ids=[ann.pk, ben.pk],
        reassign_when_offline=True,
    )
    rule_for(business, team)
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(f"business.{business.id}", channel)
    with django_capture_on_commit_callbacks(execute=True):
        conversation = route_new(business)
    assert conversation.assigned_agent == ann
    pushed = async_to_sync(asyncio.wait_for)(layer.receive(channel), 2)
    assert pushed["payload"]["type"] == "conversation.updated"
    assert pushed["payload"]["data"]["assigned_agent"]["username"] == "ann"

    # Ann goes offline: the team hands her conversation on to Ben, one move.
    core_services.availability_set(user=ann, status="offline")
    with django_capture_on_commit_callbacks(execute=True):
        assert conversations_hand_on(business_id=business.id, user_id=ann.pk) == 1
    logged = ConversationEvent.objects.filter(
        conversation_id=conversation.id, kind=ConversationEvent.Kind.ASSIGNED
    ).order_by("id")
    assert list(logged.values_list("assignee_id", "actor_id")) == [
        (ann.pk, None),
        (ben.pk, None),
    ]
    audited = AuditEntry.objects.filter(
        action="conversation.assigned", target_id=str(conversation.id)
    ).order_by("id")
    assert [(e.changes, e.actor_id, e.via) for e in audited] == [
        ({"assignee": [None, "ann"]}, None, "system"),
        ({"assignee": ["ann", "ben"]}, None, "system"),
    ]


def test_a_rules_fixed_assignee_is_announced_too(
    business, trio, django_capture_on_commit_callbacks
) -> None:
    ann, _, _ = trio
    services.routing_rule_create(business=business, name="To Ann", assignee=ann)
    with django_capture_on_commit_callbacks(execute=True):
        conversation = route_new(business)
    assert conversation.assigned_agent == ann
    assert ConversationEvent.objects.filter(
        conversation_id=conversation.id, kind="assigned", assignee_id=ann.pk
    ).exists()
    assert AuditEntry.objects.filter(
        action="conversation.assigned", target_id=str(conversation.id), via="system"
    ).exists()
