"""Labels: per-business, coloured, put on conversations from the console and the API."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from conversations import services
from conversations.exceptions import PermissionDeniedError
from conversations.models import Label, Message
from tests.factories import ConversationFactory, LabelFactory

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def test_admins_create_labels_agents_may_not(api_client, admin_user, business) -> None:
    body = {"business": business.id, "name": "Billing", "color": "#FF0000"}
    refused = api_client.post("/api/v1/labels/", body, format="json")
    assert refused.status_code == 403
    admin = client_for(admin_user)
    created = admin.post("/api/v1/labels/", body, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["color"] == "#ff0000"
    # Same name in another case: one label per name.
    again = admin.post("/api/v1/labels/", {**body, "name": "billing"}, format="json")
    assert again.status_code == 409
    bad = admin.post(
        "/api/v1/labels/", {**body, "name": "x", "color": "red"}, format="json"
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "invalid_color"
    listed = api_client.get("/api/v1/labels/").json()["results"]
    assert [label["name"] for label in listed] == ["Billing"]


def test_label_on_and_off_a_conversation(api_client, conversation) -> None:
    label = LabelFactory(business=conversation.business, name="vip")
    url = f"/api/v1/conversations/{conversation.id}/labels/"
    response = api_client.post(url, {"add": [label.id]}, format="json")
    assert response.status_code == 200
    assert response.json()["labels"] == [
        {"id": label.id, "name": "vip", "color": label.color}
    ]
    # Twice is once.
    api_client.post(url, {"add": [label.id]}, format="json")
    assert api_client.get(url).json() == {
        "results": [{"id": label.id, "name": "vip", "color": label.color}],
        "next": None,
        "previous": None,
    }
    removed = api_client.delete(f"{url}{label.id}/")
    assert removed.status_code == 200
    assert removed.json()["labels"] == []


def test_a_label_of_another_business_cannot_be_put_on(
    api_client, conversation, foreign_conversation
) -> None:
    theirs = LabelFactory(business=foreign_conversation.business, name="theirs")
    url = f"/api/v1/conversations/{conversation.id}/labels/"
    response = api_client.post(url, {"add": [theirs.id]}, format="json")
    assert response.status_code == 404
    assert conversation.labels.count() == 0
    # Nor can their conversations be labelled, nor their labels seen.
    mine = LabelFactory(business=conversation.business, name="mine")
    other_url = f"/api/v1/conversations/{foreign_conversation.id}/labels/"
    assert (
        api_client.post(other_url, {"add": [mine.id]}, format="json").status_code == 404
    )
    assert (
        api_client.patch(
            f"/api/v1/labels/{theirs.id}/", {"name": "pwned"}, format="json"
        ).status_code
        == 404
    )
    assert Label.objects.get(pk=theirs.pk).name == "theirs"


def test_labelling_is_pushed_to_every_console_of_the_business(
    agent, conversation, django_capture_on_commit_callbacks
) -> None:
    label = LabelFactory(business=conversation.business, name="urgent")
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(f"business.{conversation.business_id}", channel)
    with django_capture_on_commit_callbacks(execute=True):
        services.conversation_labels_set(
            conversation=conversation, actor=agent, add=[label.id]
        )
    event = async_to_sync(layer.receive)(channel)
    assert event["payload"]["type"] == "conversation.updated"
    assert event["payload"]["data"]["labels"][0]["name"] == "urgent"


def test_only_admins_change_or_delete_labels(agent, admin_user, business) -> None:
    label = LabelFactory(business=business, name="old")
    with pytest.raises(PermissionDeniedError):
        services.label_update(label=label, actor=agent, name="new")
    with pytest.raises(PermissionDeniedError):
        services.label_delete(label=label, actor=agent)
    services.label_update(label=label, actor=admin_user, name="new", color="#00ff00")
    assert Label.objects.get(pk=label.pk).name == "new"
    services.label_delete(label=label, actor=admin_user)
    assert not Label.objects.filter(pk=label.pk).exists()


def test_inbox_filters_by_label_and_shows_chips(console: Client, business) -> None:
    label = LabelFactory(business=business, name="refund", color="#aa0000")
    tagged = ConversationFactory(customer__business=business)
    tagged.labels.add(label)
    untagged = ConversationFactory(customer__business=business)
    html = console.get(f"/console/?label={label.id}").content.decode()
    assert f'data-conversation="{tagged.id}"' in html
    assert f'data-conversation="{untagged.id}"' not in html
    assert 'data-label-color="#aa0000">refund<' in html
    # Nonsense in the filter is ignored, never a 500.
    assert console.get("/console/?label=abc").status_code == 200


def test_search_by_label(console: Client, business) -> None:
    label = LabelFactory(business=business, name="refund")
    tagged = ConversationFactory(customer__business=business)
    tagged.labels.add(label)
    untagged = ConversationFactory(customer__business=business)
    for conversation in (tagged, untagged):
        Message.objects.create(
            conversation=conversation,
            direction=Message.Direction.IN,
            body="where is my money",
            status=Message.Status.RECEIVED,
        )
    html = console.get(f"/console/search/?q=money&label={label.id}").content.decode()
    assert f"/console/c/{tagged.id}/" in html
    assert f"/console/c/{untagged.id}/" not in html
    everything = console.get(f"/console/search/?label={label.id}").content.decode()
    assert "1 result" in everything


def test_labels_page_for_admins(admin_user, agent, business) -> None:
    admin = Client()
    admin.force_login(admin_user)
    url = f"/console/businesses/{business.id}/labels/"
    assert admin.post(url, {"name": "Sales", "color": "#123456"}).status_code == 302
    assert Label.objects.filter(business=business, name="Sales").exists()
    assert admin.post(url, {"name": "", "color": "#123456"}).status_code == 400
    label = Label.objects.get(name="Sales")
    assert admin.post(url, {"delete": label.id}).status_code == 302
    assert not Label.objects.filter(pk=label.pk).exists()
    other = Client()
    other.force_login(agent)
    assert other.get(url).status_code == 403


def test_label_lists_are_pages(api_client, conversation) -> None:
    """The business's labels and a conversation's come a page at a time."""
    names = ["alpha", "beta", "gamma"]
    labels = [LabelFactory(business=conversation.business, name=n) for n in names]
    conversation.labels.add(*labels)
    for url in ("/api/v1/labels/", f"/api/v1/conversations/{conversation.id}/labels/"):
        seen: list[str] = []
        page_url: str | None = f"{url}?limit=2"
        pages = 0
        while page_url:
            page = api_client.get(page_url).json()
            seen += [label["name"] for label in page["results"]]
            page_url = page["next"]
            pages += 1
        assert (seen, pages) == (names, 2)
    bad = api_client.get("/api/v1/labels/?limit=0")
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "invalid"
