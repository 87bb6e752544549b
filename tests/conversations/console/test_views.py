"""Console pages: sign-in, tenancy, CSRF and what each page shows."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from conversations import selectors, services
from conversations.models import Conversation, Invitation, Membership, Message
from conversations.services.invitations import invitation_token
from tests.factories import ConversationFactory, MessageFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/console/", "/console/c/1/", "/console/search/"])
def test_pages_require_sign_in(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_login_lands_on_the_console(client: Client, agent) -> None:
    response = client.post(
        "/accounts/login/", {"username": "alice", "password": "password"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/console/"


def test_root_redirects_to_the_console(client: Client) -> None:
    assert client.get("/")["Location"] == "/console/"


def test_inbox_lists_own_conversations_with_preview_and_unread(
    console: Client, conversation: Conversation, foreign_conversation
) -> None:
    conversation.customer.display_name = "Jane Appleseed"
    conversation.customer.save()
    conversation.intent = "order-status"
    conversation.save()
    MessageFactory(
        conversation=conversation,
        direction=Message.Direction.IN,
        status=Message.Status.RECEIVED,
        body="Where is my bike?",
    )
    MessageFactory(
        conversation=conversation,
        direction=Message.Direction.IN,
        status=Message.Status.RECEIVED,
        body="Hello??",
    )
    MessageFactory(
        conversation=conversation,
        direction=Message.Direction.INTERNAL,
        kind=Message.Kind.NOTE,
        status=Message.Status.RECEIVED,
        body="secret note",
    )
    response = console.get("/console/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Jane Appleseed" in html
    assert "Hello??" in html  # the latest visible message, not the note
    assert "secret note" not in html
    assert 'aria-label="2 unread"' in html
    assert "order-status" in html
    assert str(foreign_conversation.customer) not in html


def test_opening_a_conversation_marks_it_read(
    console: Client, conversation: Conversation
) -> None:
    MessageFactory(
        conversation=conversation,
        direction=Message.Direction.IN,
        status=Message.Status.RECEIVED,
    )
    assert "unread-badge" in console.get("/console/").content.decode()
    console.get(f"/console/c/{conversation.id}/")
    assert "unread-badge" not in console.get("/console/").content.decode()


def test_inbox_filters_by_status_and_assignee(
    console: Client, agent, business, conversation: Conversation
) -> None:
    mine = ConversationFactory(
        customer__business=business,
        assigned_agent=agent,
        status=Conversation.Status.PENDING,
    )
    mine.customer.display_name = "Mine Pending"
    mine.customer.save()
    conversation.customer.display_name = "Open Unassigned"
    conversation.customer.save()
    html = console.get("/console/?status=pending").content.decode()
    assert "Mine Pending" in html
    assert "Open Unassigned" not in html
    html = console.get("/console/?assignee=none").content.decode()
    assert "Open Unassigned" in html
    assert "Mine Pending" not in html
    # An unknown status is the default view's: open only.
    html = console.get("/console/?assignee=me&status=bogus").content.decode()
    assert "Mine Pending" not in html
    html = console.get("/console/?assignee=me&status=any").content.decode()
    assert "Mine Pending" in html


def test_inbox_partial_is_only_the_list(console: Client, conversation) -> None:
    html = console.get("/console/?partial=list").content.decode()
    assert html.lstrip().startswith('<div id="inbox-list"')


def test_conversation_page_embeds_history_and_capabilities(
    console: Client, conversation: Conversation
) -> None:
    sent = MessageFactory(conversation=conversation, body="Your bike is ready 🚲")
    MessageFactory(
        conversation=conversation,
        direction=Message.Direction.IN,
        status=Message.Status.RECEIVED,
        kind=Message.Kind.REACTION,
        reaction_type="loved",
        reaction_target=sent,
        body="Loved “Your bike is ready 🚲”",
    )
    response = console.get(f"/console/c/{conversation.id}/")
    assert response.status_code == 200
    state = json.loads(
        response.content.decode()
        .split('<script id="console-state" type="application/json">')[1]
        .split("</script>")[0]
    )
    assert state["messages"][0]["text"] == "Your bike is ready 🚲"
    assert state["messages"][1]["reaction"] == {"type": "loved", "target": sent.id}
    assert state["me"]["username"] == "alice"
    assert "list pickers" in response.content.decode()
    assert 'aria-label="Reply to the customer"' in response.content.decode()


def test_another_business_conversation_is_404(
    console: Client, foreign_conversation: Conversation
) -> None:
    assert console.get(f"/console/c/{foreign_conversation.id}/").status_code == 404


def test_search_finds_own_messages_only(
    console: Client, conversation: Conversation, foreign_conversation
) -> None:
    MessageFactory(conversation=conversation, body="tyre pressure question")
    MessageFactory(conversation=foreign_conversation, body="tyre shop secret")
    html = console.get("/console/search/?q=TYRE").content.decode()
    assert "tyre pressure question" in html
    assert "tyre shop secret" not in html


def test_rest_writes_from_the_browser_need_the_csrf_token(
    agent, conversation: Conversation
) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(agent)
    url = f"/api/v1/conversations/{conversation.id}/notes/"
    refused = browser.post(url, {"text": "hi"}, content_type="application/json")
    assert refused.status_code == 403
    browser.get("/console/")
    allowed = browser.post(
        url,
        {"text": "hi"},
        content_type="application/json",
        headers={"X-CSRFToken": browser.cookies["csrftoken"].value},
    )
    assert allowed.status_code == 201


def test_team_page_is_for_admins_only(
    client: Client, console: Client, admin_user, business, foreign_conversation
) -> None:
    assert console.get(f"/console/businesses/{business.id}/agents/").status_code == 403
    client.force_login(admin_user)
    page = client.get(f"/console/businesses/{business.id}/agents/")
    assert page.status_code == 200
    assert "alice" in page.content.decode()
    other = foreign_conversation.business_id
    assert client.get(f"/console/businesses/{other}/agents/").status_code == 404


def test_admin_adds_and_removes_an_agent(
    client: Client, admin_user, business, agent, conversation
) -> None:
    bob = UserFactory(username="bob")
    client.force_login(admin_user)
    url = f"/console/businesses/{business.id}/agents/"
    # Inviting adds no one; bob joins when he accepts the link.
    assert client.post(url, {"invitee": "bob", "role": "agent"}).status_code == 201
    assert not Membership.objects.filter(user=bob, business=business).exists()
    invitation = Invitation.objects.get(invitee="bob")
    bob_client = Client()
    bob_client.force_login(bob)
    bob_client.post(f"/console/invitations/{invitation_token(invitation)}/")
    assert Membership.objects.filter(user=bob, business=business).exists()
    assert (
        client.post(url, {"invitee": "not valid!", "role": "agent"}).status_code == 400
    )
    conversation.assigned_agent = agent
    conversation.save()
    alice = Membership.objects.get(user=agent, business=business)
    response = client.post(f"{url}{alice.id}/remove/")
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=alice.pk).exists()
    conversation.refresh_from_db()
    assert conversation.assigned_agent is None


def test_last_admin_cannot_be_removed(client: Client, admin_user, business) -> None:
    client.force_login(admin_user)
    mine = Membership.objects.get(user=admin_user, business=business)
    url = f"/console/businesses/{business.id}/agents/{mine.id}/remove/"
    assert client.post(url).status_code == 409


def test_team_forms_need_the_csrf_token(admin_user, business) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(admin_user)
    url = f"/console/businesses/{business.id}/agents/"
    assert browser.post(url, {"invitee": "x", "role": "agent"}).status_code == 403


def test_unread_counts_only_customer_messages_after_the_read_marker(
    console: Client, agent, business
) -> None:
    # Several conversations so that message ids and conversation ids differ.
    first, second = ConversationFactory.create_batch(2, customer__business=business)
    for _ in range(3):
        MessageFactory(
            conversation=second,
            direction=Message.Direction.IN,
            status=Message.Status.RECEIVED,
        )
    seen = MessageFactory(
        conversation=first,
        direction=Message.Direction.IN,
        status=Message.Status.RECEIVED,
    )
    services.conversation_mark_read(conversation=first, user=agent, message_id=seen.id)
    MessageFactory(
        conversation=first,
        direction=Message.Direction.IN,
        status=Message.Status.RECEIVED,
    )
    MessageFactory(conversation=first, body="our reply")
    rows = {
        c.id: c.unread_count
        for c in selectors.conversation_inbox_for_user(
            user=agent, filters=selectors.InboxFilters()
        )
    }
    assert rows == {first.id: 1, second.id: 3}


def test_long_history_pages_backwards(console: Client, conversation) -> None:
    messages = MessageFactory.create_batch(130, conversation=conversation)
    latest = console.get(f"/console/c/{conversation.id}/").content.decode()
    assert messages[-1].body in latest
    assert f"?before={messages[30].id}" in latest
    earlier = console.get(
        f"/console/c/{conversation.id}/?before={messages[30].id}"
    ).content.decode()
    assert f'"text": "{messages[0].body}"' in earlier
    assert f'"text": "{messages[30].body}"' not in earlier
    assert "Jump to the latest messages" in earlier
