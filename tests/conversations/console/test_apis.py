"""REST endpoints the console writes through; each is tenant-scoped."""

from __future__ import annotations

import pytest

from conversations.models import Conversation, Message

pytestmark = pytest.mark.django_db


def test_assign_to_self_and_unassign(api_client, agent, conversation) -> None:
    url = f"/api/v1/conversations/{conversation.id}/assign/"
    # Input and output name the agent the same way: by id ({id, username} out).
    response = api_client.post(url, {"assigned_agent": agent.id}, format="json")
    assert response.status_code == 200
    assert response.json()["assigned_agent"] == {"id": agent.id, "username": "alice"}
    response = api_client.post(url, {"assigned_agent": None}, format="json")
    assert response.json()["assigned_agent"] is None
    response = api_client.post(url, {"assigned_agent": 999_999}, format="json")
    assert response.status_code == 400


def test_set_status(api_client, conversation) -> None:
    url = f"/api/v1/conversations/{conversation.id}/status/"
    response = api_client.post(url, {"status": "pending"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "pending"
    assert api_client.post(url, {"status": "closed"}, format="json").status_code == 400


def test_a_customer_closed_conversation_takes_a_status_but_no_reply(
    api_client, conversation
) -> None:
    Conversation.objects.filter(pk=conversation.pk).update(status="closed")
    url = f"/api/v1/conversations/{conversation.id}/status/"
    response = api_client.post(url, {"status": "resolved"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "resolved"
    assert response.json()["is_closed"] is True
    # Even "open" does not unlock replies: only the customer's next message does.
    assert api_client.post(url, {"status": "open"}, format="json").status_code == 200
    send = f"/api/v1/conversations/{conversation.id}/messages/"
    refused = api_client.post(send, {"text": "hello?"}, format="json")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "conversation_closed"
    assign = f"/api/v1/conversations/{conversation.id}/assign/"
    assert (
        api_client.post(assign, {"assigned_agent": None}, format="json").status_code
        == 200
    )


def test_note_is_created_and_listed_as_internal(api_client, conversation) -> None:
    url = f"/api/v1/conversations/{conversation.id}/notes/"
    response = api_client.post(url, {"text": "VIP"}, format="json")
    assert response.status_code == 201
    assert response.json()["direction"] == "int"
    assert response.json()["kind"] == "note"
    listed = api_client.get(f"/api/v1/conversations/{conversation.id}/messages/")
    assert [m["kind"] for m in listed.json()["results"]] == ["note"]


def test_notes_are_allowed_on_closed_conversations(api_client, conversation) -> None:
    Conversation.objects.filter(pk=conversation.pk).update(status="closed")
    url = f"/api/v1/conversations/{conversation.id}/notes/"
    assert api_client.post(url, {"text": "they left"}, format="json").status_code == 201


def test_read_marker(api_client, conversation) -> None:
    url = f"/api/v1/conversations/{conversation.id}/read/"
    assert api_client.post(url, {"message_id": 5}, format="json").status_code == 204


@pytest.mark.parametrize(
    ("suffix", "body"),
    [
        ("assign/", {"assigned_agent": None}),
        ("status/", {"status": "resolved"}),
        ("notes/", {"text": "peek"}),
        ("read/", {"message_id": 1}),
    ],
)
def test_writes_to_another_business_are_404(
    api_client, foreign_conversation, suffix: str, body: dict
) -> None:
    url = f"/api/v1/conversations/{foreign_conversation.id}/{suffix}"
    assert api_client.post(url, body, format="json").status_code == 404
    assert not Message.objects.filter(conversation=foreign_conversation).exists()
    foreign_conversation.refresh_from_db()
    assert foreign_conversation.status == "open"


def test_agents_of_a_business_are_listed_for_its_members_only(
    api_client, agent, business
) -> None:
    from conversations.models import Membership
    from tests.factories import BusinessFactory, MembershipFactory, UserFactory

    bob = UserFactory(username="bob")
    MembershipFactory(user=bob, business=business, role=Membership.Role.ADMIN)
    response = api_client.get(f"/api/v1/businesses/{business.id}/agents/")
    assert response.status_code == 200
    assert response.json()["results"] == [
        {"id": agent.id, "username": "alice", "role": "agent"},
        {"id": bob.id, "username": "bob", "role": "admin"},
    ]
    stranger = BusinessFactory()
    answer = api_client.get(f"/api/v1/businesses/{stranger.id}/agents/")
    assert answer.status_code == 404


def test_a_listed_agent_id_is_what_assign_takes_and_messages_show(
    api_client, business, conversation
) -> None:
    agents = api_client.get(f"/api/v1/businesses/{business.id}/agents/").json()
    me = agents["results"][0]
    url = f"/api/v1/conversations/{conversation.id}/assign/"
    assigned = api_client.post(url, {"assigned_agent": me["id"]}, format="json")
    assert assigned.json()["assigned_agent"] == {
        "id": me["id"],
        "username": me["username"],
    }
    note = api_client.post(
        f"/api/v1/conversations/{conversation.id}/notes/", {"text": "hi"}, format="json"
    )
    assert note.json()["sender"] == {"id": me["id"], "username": me["username"]}
