from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from businesses import receivers, routing, selectors, services
from businesses.models import BusinessHours, ConversationRoute, RoutingRule, Team
from conversations import events, realtime
from conversations.models import Conversation, Message
from richobjects import services as rich_services
from tests.factories import BusinessFactory, ConversationFactory, UserFactory
from tests.helpers import django_headers, inbound_body, inbound_request

pytestmark = pytest.mark.django_db


def deliver(client: Client, body: dict) -> None:
    data, headers = inbound_request(body)
    response = client.post(
        "/message",
        data=data,
        content_type="application/json",
        headers=django_headers(headers),
    )
    assert response.status_code == 200


@pytest.fixture
def repairs(business, agent) -> Team:
    return services.team_save(business=business, name="Repairs", member_ids=[agent.pk])


@pytest.fixture
def repair_rule(business, repairs, agent) -> RoutingRule:
    return services.routing_rule_create(
        business=business,
        name="Repair links",
        match_intent="repair",
        team=repairs,
        priority="high",
        assignee=agent,
        reply_text="Hi! The repair team will answer shortly.",
    )


def test_first_message_routes_the_conversation_once(
    client: Client,
    business,
    repair_rule,
    agent,
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    published = []
    monkeypatch.setattr(
        realtime, "_send", lambda groups, event, exclude: published.append(event)
    )
    with django_capture_on_commit_callbacks(execute=True):
        deliver(
            client,
            inbound_body(
                business_id=business.apple_id,
                body="My chain broke",
                intent="repair",
                group="paris",
            ),
        )
    conversation = Conversation.objects.get(business=business)
    route = ConversationRoute.objects.get(conversation=conversation)
    assert (route.team_name, route.rule_name, route.priority) == (
        "Repairs",
        "Repair links",
        "high",
    )
    assert conversation.assigned_agent == agent
    greeting = conversation.messages.get(direction=Message.Direction.OUT)
    assert greeting.body == "Hi! The repair team will answer shortly."
    assert greeting.auto_reply
    updated = [e for e in published if e["type"] == realtime.CONVERSATION_UPDATED]
    assert updated[-1]["data"]["route"]["team"] == "Repairs"

    # A second message, and a redelivered routing task, change nothing.
    with django_capture_on_commit_callbacks(execute=True):
        deliver(
            client,
            inbound_body(business_id=business.apple_id, body="Hello?", intent="repair"),
        )
    routing.conversation_route(conversation_id=conversation.id)
    assert ConversationRoute.objects.count() == 1
    assert conversation.messages.filter(direction=Message.Direction.OUT).count() == 1


def test_routing_listens_for_conversations_that_start():
    # Routing is wired by subscription, not by a call from the core.
    assert receivers.on_conversation_started in events.listeners(
        events.ConversationStarted
    )


def test_a_started_conversation_is_routed_once(
    business, repair_rule, django_capture_on_commit_callbacks
):
    conversation = ConversationFactory(customer__business=business, intent="repair")
    event = events.ConversationStarted(
        business_id=business.id, conversation_id=conversation.id, message_id=0
    )
    with django_capture_on_commit_callbacks(execute=True):
        events.publish(event)
        events.publish(event)
    assert ConversationRoute.objects.filter(conversation=conversation).count() == 1


def test_unmatched_conversations_get_an_empty_route_and_no_messages(
    business, repair_rule
):
    conversation = ConversationFactory(customer__business=business, intent="billing")
    route = routing.conversation_route(conversation_id=conversation.id)
    assert route.rule is None
    assert route.team_name == ""
    assert not conversation.messages.exists()


def test_rules_are_tried_in_order_and_match_group_and_locale(business, repairs):
    services.routing_rule_create(
        business=business, name="French", position=10, match_locale="fr", team=repairs
    )
    services.routing_rule_create(
        business=business, name="Paris", position=20, match_group="paris"
    )
    french = ConversationFactory(
        customer__business=business, locale="fr_FR", group="paris"
    )
    english = ConversationFactory(
        customer__business=business, locale="en_US", group="paris"
    )
    assert routing.conversation_route(conversation_id=french.id).rule_name == "French"
    assert routing.conversation_route(conversation_id=english.id).rule_name == "Paris"


def _set_hours(business, *, open_now: bool) -> None:
    now = dt.datetime.now(ZoneInfo("UTC"))
    services.channel_settings_update(
        business=business,
        display_name="",
        timezone_name="UTC",
        away_message="We are closed, back tomorrow.",
        hours={now.weekday(): (dt.time(0, 0), dt.time(23, 59, 59))}
        if open_now
        else {(now.weekday() + 3) % 7: (dt.time(9), dt.time(10))},
    )


def test_outside_hours_the_away_message_is_sent_and_closed_rules_match(business):
    _set_hours(business, open_now=False)
    services.routing_rule_create(
        business=business, name="Night", match_hours="closed", priority="low"
    )
    conversation = ConversationFactory(customer__business=business)
    route = routing.conversation_route(conversation_id=conversation.id)
    assert route.rule_name == "Night"
    assert not route.within_hours
    assert route.away_message_sent
    assert conversation.messages.get().body == "We are closed, back tomorrow."


def test_within_hours_no_away_message(business):
    _set_hours(business, open_now=True)
    conversation = ConversationFactory(customer__business=business)
    route = routing.conversation_route(conversation_id=conversation.id)
    assert route.within_hours
    assert not conversation.messages.exists()


def test_hours_past_midnight_and_time_zones(business):
    services.channel_settings_update(
        business=business,
        display_name="",
        timezone_name="America/New_York",
        away_message="",
        hours={4: (dt.time(22), dt.time(2))},  # Friday 22:00 to Saturday 02:00
    )
    ny = ZoneInfo("America/New_York")
    assert selectors.business_is_open(
        business=business, at=dt.datetime(2025, 1, 3, 23, 0, tzinfo=ny)
    )
    assert selectors.business_is_open(
        business=business, at=dt.datetime(2025, 1, 4, 1, 0, tzinfo=ny)
    )
    assert not selectors.business_is_open(
        business=business, at=dt.datetime(2025, 1, 4, 3, 0, tzinfo=ny)
    )
    # 03:30 UTC on Saturday is 22:30 Friday in New York.
    assert selectors.business_is_open(
        business=business, at=dt.datetime(2025, 1, 4, 3, 30, tzinfo=ZoneInfo("UTC"))
    )
    assert BusinessHours.objects.count() == 1


def test_a_rich_object_is_sent_as_the_automatic_reply(business):
    rich = rich_services.rich_object_create(
        business=business,
        name="Welcome menu",
        kind="quick_reply",
        spec={"summary": "How can we help?", "items": ["Repairs", "Billing"]},
    )
    rich_services.rich_object_publish(rich_object=rich)
    services.routing_rule_create(
        business=business, name="Menu", reply_rich_object_id=rich.pk
    )
    conversation = ConversationFactory(customer__business=business)
    route = routing.conversation_route(conversation_id=conversation.id)
    assert route.auto_reply_sent
    message = conversation.messages.get()
    assert message.auto_reply
    assert message.raw["rich"]["name"] == "Welcome menu"


def test_rules_refuse_foreign_teams_people_and_reserved_characters(
    business, other_business, agent
):
    foreign_team = Team.objects.create(business=other_business, name="Theirs")
    stranger = UserFactory(username="stranger")
    with pytest.raises(ValidationError) as info:
        services.routing_rule_create(
            business=business,
            name="Bad",
            match_intent="a b",
            team=foreign_team,
            assignee=stranger,
        )
    errors = info.value.message_dict
    assert set(errors) == {"match_intent", "team", "assignee"}
    with pytest.raises(ValidationError, match="Only people of this business"):
        services.team_save(
            business=business, name="Mixed", member_ids=[agent.pk, stranger.pk]
        )


def test_bot_conversations_can_always_be_escalated(business, agent, other_business):
    services.routing_rule_create(business=business, name="Bot first", bot=True)
    conversation = ConversationFactory(customer__business=business)
    route = routing.conversation_route(conversation_id=conversation.id)
    assert route.with_bot

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=agent).key}")
    assert (
        api.get(f"/api/v1/conversations/{conversation.id}/route/").json()["route"][
            "bot"
        ]
        is True
    )
    response = api.post(f"/api/v1/conversations/{conversation.id}/escalate/")
    assert response.status_code == 200
    assert response.json()["route"]["bot"] is False
    assert response.json()["route"]["escalated_at"]
    # Repeating is harmless; other tenants cannot see the conversation.
    assert (
        api.post(f"/api/v1/conversations/{conversation.id}/escalate/").status_code
        == 200
    )
    theirs = ConversationFactory(customer__business=other_business)
    assert api.post(f"/api/v1/conversations/{theirs.id}/escalate/").status_code == 404


def test_console_header_shows_the_route_and_the_escalate_button(business, agent):
    services.routing_rule_create(
        business=business, name="Bot first", bot=True, priority="urgent"
    )
    conversation = ConversationFactory(customer__business=business)
    routing.conversation_route(conversation_id=conversation.id)
    console = Client()
    console.force_login(agent)
    html = console.get(f"/console/c/{conversation.id}/").content.decode()
    assert 'id="conversation-route"' in html
    assert "Urgent" in html
    assert "Hand to a person" in html
    response = console.post(f"/console/c/{conversation.id}/escalate/")
    assert response.status_code == 302
    html = console.get(f"/console/c/{conversation.id}/").content.decode()
    assert "handed to a person" in html
    assert "Hand to a person" not in html


def test_routing_page_is_for_admins_and_creates_teams_and_rules(
    admin_client: Client, agent_client: Client, business, agent
):
    url = f"/console/businesses/{business.pk}/routing/"
    assert agent_client.get(url).status_code == 403
    assert (
        admin_client.post(
            url, {"action": "team", "team-name": "Repairs", "team-members": [agent.pk]}
        ).status_code
        == 302
    )
    team = Team.objects.get(business=business)
    response = admin_client.post(
        url,
        {
            "action": "rule",
            "rule-name": "Repairs",
            "rule-position": "10",
            "rule-match_intent": "repair",
            "rule-match_hours": "any",
            "rule-team": str(team.pk),
            "rule-priority": "high",
            "rule-reply_text": "Hello from repairs",
        },
    )
    assert response.status_code == 302
    rule = RoutingRule.objects.get(business=business)
    assert (rule.team, rule.match_intent, rule.reply_text) == (
        team,
        "repair",
        "Hello from repairs",
    )
    bad = admin_client.post(
        url,
        {
            "action": "rule",
            "rule-name": "x",
            "rule-position": "1",
            "rule-match_intent": "a&b",
            "rule-match_hours": "any",
            "rule-priority": "normal",
        },
    )
    assert bad.status_code == 400
    assert "The intent may only use" in bad.content.decode()


def test_admins_edit_teams_and_rules_in_place(
    business, agent, repairs, repair_rule
) -> None:
    from conversations.models import Membership

    admin = UserFactory(username="boss")
    Membership.objects.create(user=admin, business=business, role="admin")
    client = Client()
    client.force_login(admin)
    url = f"/console/businesses/{business.id}/routing/"
    page = client.get(f"{url}?edit_rule={repair_rule.pk}").content.decode()
    assert f'name="rule_pk" value="{repair_rule.pk}"' in page
    assert f'value="{repair_rule.name}"' in page
    response = client.post(
        url,
        {
            "action": "team",
            "team_pk": repairs.pk,
            "team-name": "Workshop",
            "team-members": [agent.pk, admin.pk],
            "team-assign_cap": 3,
        },
    )
    assert response.status_code == 302
    response = client.post(
        url,
        {
            "action": "rule",
            "rule_pk": repair_rule.pk,
            "rule-name": "Repairs, renamed",
            "rule-position": 5,
            "rule-match_intent": "fix",
            "rule-match_hours": "any",
            "rule-team": repairs.pk,
            "rule-priority": "urgent",
        },
    )
    assert response.status_code == 302, response.content.decode()
    repairs.refresh_from_db()
    repair_rule.refresh_from_db()
    assert (repairs.name, repairs.assign_cap) == ("Workshop", 3)
    assert set(repairs.members.values_list("pk", flat=True)) == {agent.pk, admin.pk}
    assert (repair_rule.name, repair_rule.match_intent, repair_rule.priority) == (
        "Repairs, renamed",
        "fix",
        "urgent",
    )
    assert Team.objects.count() == 1
    assert RoutingRule.objects.count() == 1
    # Another business's row cannot be edited through this page.
    other = services.team_save(business=BusinessFactory(), name="Theirs", member_ids=[])
    assert client.get(f"{url}?edit_team={other.pk}").status_code == 404
