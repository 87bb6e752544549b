"""Canned replies: personal or shared, filled with the library's placeholder filler."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from conversations.models import Membership
from richobjects.models import CannedReply
from tests.factories import (
    BusinessFactory,
    ConversationFactory,
    MembershipFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def admin(business):
    user = UserFactory(username="ada", first_name="Ada")
    MembershipFactory(user=user, business=business, role=Membership.Role.ADMIN)
    return user


@pytest.fixture
def foreign_conversation(db: None):
    return ConversationFactory(customer__business=BusinessFactory(name="Other Co"))


def create(client: APIClient, business, **fields):
    return client.post(
        "/api/v1/canned-replies/",
        {"business": business.id, **fields},
        format="json",
    )


def test_agents_keep_personal_replies_admins_shared_ones(
    api_client, admin, business, agent
) -> None:
    mine = create(api_client, business, short_code="/Hi", body="Hello!")
    assert mine.status_code == 201, mine.content
    assert mine.json()["short_code"] == "hi"
    assert mine.json()["shared"] is False
    refused = create(api_client, business, short_code="team", body="x", shared=True)
    assert refused.status_code == 403
    shared = create(
        client_for(admin), business, short_code="hi", body="Hi all", shared=True
    )
    assert shared.status_code == 201
    # The same code twice in one scope is refused; personal and shared may coexist.
    twice = create(api_client, business, short_code="hi", body="again")
    assert twice.status_code == 409
    codes = [
        (r["short_code"], r["shared"])
        for r in api_client.get("/api/v1/canned-replies/").json()["results"]
    ]
    assert sorted(codes) == [("hi", False), ("hi", True)]


def test_personal_replies_are_private(api_client, business, agent) -> None:
    bob = UserFactory(username="bob")
    MembershipFactory(user=bob, business=business)
    reply = create(api_client, business, short_code="mine", body="secret").json()
    other = client_for(bob)
    assert other.get("/api/v1/canned-replies/").json()["results"] == []
    assert other.get(f"/api/v1/canned-replies/{reply['id']}/").status_code == 404
    assert other.delete(f"/api/v1/canned-replies/{reply['id']}/").status_code == 404
    assert CannedReply.objects.filter(pk=reply["id"]).exists()


def test_agents_cannot_change_shared_replies(api_client, admin, business) -> None:
    shared = create(
        client_for(admin), business, short_code="x", body="x", shared=True
    ).json()
    url = f"/api/v1/canned-replies/{shared['id']}/"
    assert api_client.patch(url, {"body": "hacked"}, format="json").status_code == 403
    assert api_client.delete(url).status_code == 403
    assert CannedReply.objects.get(pk=shared["id"]).body == "x"
    assert client_for(admin).patch(url, {"body": "y"}, format="json").status_code == 200


def test_bad_input_is_a_clear_400(api_client, business, foreign_conversation) -> None:
    bad_code = create(api_client, business, short_code="no spaces!", body="x")
    assert bad_code.status_code == 400
    assert bad_code.json()["error"]["code"] == "invalid_short_code"
    assert create(api_client, business, short_code="ok", body="   ").status_code == 400
    # A business the agent is not in is as absent as one that does not exist.
    other = create(api_client, foreign_conversation.business, short_code="x", body="x")
    assert other.status_code == 404


def test_render_fills_customer_and_agent(
    api_client, business, agent, conversation
) -> None:
    agent.first_name, agent.last_name = "Alice", "Smith"
    agent.save()
    customer = conversation.customer
    customer.display_name = "Jane"
    customer.attributes = {"plan": "gold"}
    customer.save()
    reply = create(
        api_client,
        business,
        short_code="greet",
        body="Hi {{customer.name}}, {{agent.name}} from {{business.name}} here ({{ customer.plan }}).",
    ).json()
    filled = api_client.post(
        f"/api/v1/canned-replies/{reply['id']}/render/",
        {"conversation": conversation.id},
        format="json",
    ).json()
    assert filled == {
        "text": f"Hi Jane, Alice Smith from {business.name} here (gold).",
        "missing": [],
    }


def test_render_leaves_unknown_values_for_the_agent(
    api_client, business, conversation
) -> None:
    reply = create(
        api_client, business, short_code="g", body="Hi {{customer.name}}!"
    ).json()
    filled = api_client.post(
        f"/api/v1/canned-replies/{reply['id']}/render/",
        {"conversation": conversation.id},
        format="json",
    ).json()
    assert filled == {"text": "Hi {{customer.name}}!", "missing": ["customer.name"]}


def test_render_for_a_conversation_of_another_business_is_404(
    api_client, business, foreign_conversation
) -> None:
    reply = create(api_client, business, short_code="g", body="Hi").json()
    response = api_client.post(
        f"/api/v1/canned-replies/{reply['id']}/render/",
        {"conversation": foreign_conversation.id},
        format="json",
    )
    assert response.status_code == 404


def test_console_page_adds_and_deletes(agent, business) -> None:
    client = Client()
    client.force_login(agent)
    url = "/console/canned-replies/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"short_code": "thanks", "body": "Thank you!"})
    assert response.status_code == 302
    reply = CannedReply.objects.get(short_code="thanks")
    assert reply.owner == agent
    assert "/thanks" in client.get(url).content.decode()
    assert client.post(url, {"short_code": "", "body": "x"}).status_code == 400
    assert client.post(url, {"delete": reply.id}).status_code == 302
    assert not CannedReply.objects.filter(pk=reply.pk).exists()


def test_the_list_is_a_page(api_client, business, agent) -> None:
    for code in ("a", "b", "c"):
        assert (
            create(api_client, business, short_code=code, body=code).status_code == 201
        )
    first = api_client.get("/api/v1/canned-replies/?limit=2").json()
    assert [r["short_code"] for r in first["results"]] == ["a", "b"]
    assert first["previous"] is None
    last = api_client.get(first["next"]).json()
    assert [r["short_code"] for r in last["results"]] == ["c"]
    assert last["next"] is None
