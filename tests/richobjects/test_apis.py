"""The library's REST API: who sees and sends what, bots by id, replies, import/export."""

from __future__ import annotations

import json
import uuid

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from conversations.models import Membership, Message
from richobjects import services
from richobjects.models import RichObject
from tests.factories import (
    BusinessFactory,
    ConversationFactory,
    MembershipFactory,
    UserFactory,
)
from tests.helpers import django_headers, inbound_body, inbound_request

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def quick(business, quick_reply_spec) -> RichObject:
    rich_object = services.rich_object_create(
        business=business,
        name="Help menu",
        kind="quick_reply",
        spec=quick_reply_spec,
        tags=["Support", "menu"],
    )
    return services.rich_object_publish(rich_object=rich_object)


def test_agents_list_published_objects_of_their_businesses(
    api_client, business, quick, list_picker_spec
) -> None:
    services.rich_object_create(
        business=business, name="Draft list", kind="list_picker", spec=list_picker_spec
    )
    other = BusinessFactory()
    foreign = services.rich_object_create(
        business=other, name="Foreign", kind="list_picker", spec=list_picker_spec
    )
    services.rich_object_publish(rich_object=foreign)

    answer = api_client.get("/api/v1/rich-objects/").json()["results"]
    assert [o["name"] for o in answer] == ["Help menu"]
    assert answer[0]["title"] == "" or isinstance(answer[0]["title"], str)
    assert api_client.get("/api/v1/rich-objects/", {"q": "help"}).json()["results"]
    assert api_client.get("/api/v1/rich-objects/", {"tag": "support"}).json()["results"]
    assert not api_client.get("/api/v1/rich-objects/", {"tag": "sales"}).json()[
        "results"
    ]
    assert not api_client.get("/api/v1/rich-objects/", {"q": "zzz"}).json()["results"]
    assert not api_client.get("/api/v1/rich-objects/", {"business": other.id}).json()[
        "results"
    ]
    assert api_client.get(f"/api/v1/rich-objects/{foreign.id}/").status_code == 404


def test_team_scoped_objects_are_for_that_team(
    api_client, agent, business, quick_reply_spec
) -> None:
    from businesses.models import Team

    scoped = services.rich_object_create(
        business=business,
        name="Sales only",
        kind="quick_reply",
        spec=quick_reply_spec,
        scope_team="Sales",
    )
    services.rich_object_publish(rich_object=scoped)
    assert not api_client.get("/api/v1/rich-objects/").json()["results"]
    team = Team.objects.create(business=business, name="Sales")
    team.members.add(agent)
    names = [
        o["name"] for o in api_client.get("/api/v1/rich-objects/").json()["results"]
    ]
    assert names == ["Sales only"]


def test_detail_has_a_preview(api_client, quick) -> None:
    answer = api_client.get(f"/api/v1/rich-objects/{quick.id}/").json()
    assert answer["preview"]["title"] == "How can we help?"
    assert answer["preview"]["payload"]["data"]["quick-reply"]["items"]
    assert answer["text_alternative"].startswith("How can we help?")


def test_send_by_id_returns_the_message(api_client, conversation, quick) -> None:
    response = api_client.post(
        f"/api/v1/conversations/{conversation.id}/rich/",
        {"object": quick.id, "auto_reply": True},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "interactive"
    assert body["auto_reply"] is True
    assert body["status"] == "pending"
    assert body["rich"] == {
        "object": quick.id,
        "name": "Help menu",
        "kind": "quick_reply",
        "version": 1,
        "sent_as": "interactive",
    }
    assert body["request_identifier"]


def test_send_missing_placeholder_is_a_400_naming_it(
    api_client, business, conversation
) -> None:
    rich_object = services.rich_object_create(
        business=business,
        name="Order check",
        kind="quick_reply",
        spec={"summary": "Order {{order.id}}?", "items": ["Yes", "No"]},
    )
    services.rich_object_publish(rich_object=rich_object)
    response = api_client.post(
        f"/api/v1/conversations/{conversation.id}/rich/",
        {"object": rich_object.id, "params": {}},
        format="json",
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "rich_object_invalid"
    assert "{{order.id}}" in error["message"]


def test_send_is_tenant_scoped(api_client, business, quick, list_picker_spec) -> None:
    foreign_conversation = ConversationFactory()
    response = api_client.post(
        f"/api/v1/conversations/{foreign_conversation.id}/rich/",
        {"object": quick.id},
        format="json",
    )
    assert response.status_code == 404
    other = services.rich_object_create(
        business=foreign_conversation.business,
        name="Theirs",
        kind="list_picker",
        spec=list_picker_spec,
    )
    services.rich_object_publish(rich_object=other)
    mine = ConversationFactory(customer__business=business)
    response = api_client.post(
        f"/api/v1/conversations/{mine.id}/rich/", {"object": other.id}, format="json"
    )
    assert response.status_code == 404


def test_anonymous_requests_are_refused(quick) -> None:
    assert APIClient().get("/api/v1/rich-objects/").status_code in (401, 403)


def test_reply_is_shown_with_its_question_and_duplicates_flagged(
    client, api_client, conversation, quick, apple_gateway
) -> None:
    sent = api_client.post(
        f"/api/v1/conversations/{conversation.id}/rich/",
        {"object": quick.id},
        format="json",
    ).json()
    reply = {
        "bid": "com.apple.messages.MSMessageExtensionBalloonPlugin:0000000000:com.apple.icloud.apps.messages.business.extension",
        "data": {
            "version": "1.0",
            "requestIdentifier": sent["request_identifier"],
            "quick-reply": {"selectedIdentifier": "billing"},
        },
    }
    for _ in range(2):
        body = inbound_body(
            business_id=conversation.business.apple_id,
            customer_id=conversation.customer.apple_id,
            type_="interactive",
            interactiveData=reply,
            message_id=str(uuid.uuid4()),
        )
        data, headers = inbound_request(body)
        response = client.post(
            "/message",
            data=data,
            content_type="application/json",
            headers=django_headers(headers),
        )
        assert response.status_code == 200
    messages = api_client.get(
        f"/api/v1/conversations/{conversation.id}/messages/"
    ).json()["results"]
    first, second = [m for m in messages if m["direction"] == "in"]
    assert first["reply_to"] == sent["id"]
    assert "Billing" in first["rich"]["reply"]["summary"]
    assert first["rich"]["reply"]["question"] == sent["id"]
    assert first["rich"]["reply"]["duplicate"] is False
    assert second["rich"]["reply"]["duplicate"] is True


def test_reply_to_an_unknown_question_is_still_summarised(
    client, api_client, conversation
) -> None:
    body = inbound_body(
        business_id=conversation.business.apple_id,
        customer_id=conversation.customer.apple_id,
        type_="interactive",
        interactiveData={
            "bid": "x",
            "data": {
                "version": "1.0",
                "requestIdentifier": str(uuid.uuid4()),
                "event": {
                    "timeslots": [
                        {
                            "identifier": "a",
                            "startTime": "2026-12-01T10:00+0000",
                            "duration": 1800,
                        }
                    ]
                },
            },
        },
    )
    data, headers = inbound_request(body)
    client.post(
        "/message",
        data=data,
        content_type="application/json",
        headers=django_headers(headers),
    )
    (reply,) = api_client.get(
        f"/api/v1/conversations/{conversation.id}/messages/"
    ).json()["results"]
    assert reply["rich"]["reply"]["matched"] is False
    assert reply["rich"]["reply"]["summary"]


def test_export_and_import_are_for_admins(api_client, agent, business, quick) -> None:
    assert (
        api_client.get(
            f"/api/v1/businesses/{business.id}/rich-objects/export"
        ).status_code
        == 403
    )
    admin = UserFactory(username="boss")
    MembershipFactory(user=admin, business=business, role=Membership.Role.ADMIN)
    admin_client = client_for(admin)
    exported = admin_client.get(f"/api/v1/businesses/{business.id}/rich-objects/export")
    assert exported.status_code == 200
    assert [o["name"] for o in exported.json()["objects"]] == ["Help menu"]

    target = BusinessFactory()
    MembershipFactory(user=admin, business=target, role=Membership.Role.ADMIN)
    imported = admin_client.post(
        f"/api/v1/businesses/{target.id}/rich-objects/import",
        data=json.dumps(exported.json()),
        content_type="application/json",
    )
    assert imported.status_code == 200, imported.content
    assert imported.json()["created"] == ["Help menu"]
    assert RichObject.objects.get(business=target).state == RichObject.State.PUBLISHED
    stranger = BusinessFactory()
    assert (
        admin_client.get(
            f"/api/v1/businesses/{stranger.id}/rich-objects/export"
        ).status_code
        == 404
    )
    bad = admin_client.post(
        f"/api/v1/businesses/{target.id}/rich-objects/import",
        data=json.dumps({"format": "nope"}),
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert Message.objects.count() == 0


def test_the_detail_answers_exactly_what_the_schema_documents(api_client, quick):
    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/json").json()
    detail = schema["components"]["schemas"]["RichObjectDetailOutput"]
    answer = api_client.get(f"/api/v1/rich-objects/{quick.id}/")
    assert answer.status_code == 200
    assert set(answer.json()) == set(detail["properties"])
