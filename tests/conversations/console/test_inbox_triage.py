"""The inbox for triage: previews by kind, the default view, tabs with counts and
the priority chip and sort."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from businesses.models import ConversationRoute, Priority
from conversations.models import Conversation, Message
from conversations.previews import PreviewSource, message_preview
from tests.factories import (
    AttachmentFactory,
    ConversationFactory,
    MessageFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

OUT, IN, NOTE = Message.Direction.OUT, Message.Direction.IN, Message.Direction.INTERNAL
K = Message.Kind


# --- the function, one kind at a time -----------------------------------------------


@pytest.mark.parametrize(
    ("source", "viewer", "expected"),
    [
        (PreviewSource(K.TEXT, IN, "Where is my order?"), 1, "Where is my order?"),
        (
            PreviewSource(K.ATTACHMENT, IN, "\ufffc", mime_type="image/heic"),
            1,
            "📷 Photo",
        ),
        (
            PreviewSource(K.ATTACHMENT, IN, "Look \ufffc", mime_type="image/png"),
            1,
            "📷 Photo: Look",
        ),
        (
            PreviewSource(K.ATTACHMENT, IN, "\ufffc", mime_type="video/mp4"),
            1,
            "🎬 Video",
        ),
        (
            PreviewSource(K.ATTACHMENT, IN, "\ufffc", mime_type="audio/m4a"),
            1,
            "🎤 Audio",
        ),
        (
            PreviewSource(K.ATTACHMENT, IN, "\ufffc", mime_type="application/pdf"),
            1,
            "📎 File",
        ),
        (
            PreviewSource(
                K.ATTACHMENT, OUT, "\ufffc", sender_id=1, mime_type="image/jpeg"
            ),
            1,
            "You: 📷 Photo",
        ),
        (
            PreviewSource(K.INTERACTIVE, IN, "", summary="Paid 28.50 USD"),
            1,
            "Paid 28.50 USD",
        ),
        (
            PreviewSource(K.INTERACTIVE, IN, "", summary="Picked: Blue, Large"),
            1,
            "Picked: Blue, Large",
        ),
        (
            PreviewSource(K.INTERACTIVE, IN, "", summary="Answered: Name: Ana"),
            1,
            "Answered: Name: Ana",
        ),
        (PreviewSource(K.INTERACTIVE, IN, ""), 1, "Answered"),
        (
            PreviewSource(
                K.INTERACTIVE, OUT, "Pick a colour", sender_id=2, sender_name="bo"
            ),
            1,
            "bo: Pick a colour",
        ),
        (PreviewSource(K.TEXT, OUT, "Hi there", auto_reply=True), 1, "Bot: Hi there"),
        # A rule's reply stays the bot's even if a person's account sent it.
        (PreviewSource(K.TEXT, OUT, "Hi", auto_reply=True, sender_id=1), 1, "Bot: Hi"),
        (
            PreviewSource(K.TEXT, OUT, "On it", sender_id=1, sender_name="alice"),
            1,
            "You: On it",
        ),
        (
            PreviewSource(K.TEXT, OUT, "On it", sender_id=1, sender_name="alice"),
            None,
            "alice: On it",
        ),
        (PreviewSource(K.REACTION, IN, "Loved “x”"), 1, "Reaction: Loved “x”"),
        (
            PreviewSource(K.RICH_LINK, OUT, "https://a.example", sender_id=1),
            1,
            "You: 🔗 https://a.example",
        ),
        (
            PreviewSource(K.NOTE, NOTE, "check stock", sender_id=2),
            1,
            "Note: check stock",
        ),
        (
            PreviewSource(K.SYSTEM, IN, "The customer closed the conversation."),
            1,
            "The customer closed the conversation.",
        ),
    ],
)
def test_preview_reads_each_kind(
    source: PreviewSource, viewer: int | None, expected: str
) -> None:
    assert message_preview(source, viewer_id=viewer) == expected


def test_preview_is_one_short_line() -> None:
    line = message_preview(PreviewSource(K.TEXT, IN, "word\n" * 100))
    assert "\n" not in line
    assert len(line) <= 90
    assert line.endswith("…")


# --- the inbox and the API ---------------------------------------------------------------

PAY_QUESTION = {
    "interactiveData": {
        "data": {
            "requestIdentifier": "pay-1",
            "payment": {
                "paymentRequest": {"total": {"amount": "28.50"}, "currencyCode": "USD"}
            },
        }
    }
}
PAY_ANSWER = {
    "interactiveData": {
        "data": {"requestIdentifier": "pay-1", "payment": {"status": "STATUS_SUCCESS"}}
    }
}
LIST_QUESTION = {
    "interactiveData": {
        "data": {
            "requestIdentifier": "list-1",
            "listPicker": {
                "sections": [
                    {
                        "items": [
                            {"identifier": "1", "title": "Blue"},
                            {"identifier": "2", "title": "Large"},
                        ],
                        "multipleSelection": True,
                        "order": 0,
                    }
                ]
            },
        }
    }
}
LIST_ANSWER = {
    "interactiveData": {
        "data": {
            "requestIdentifier": "list-1",
            "listPicker": {
                "sections": [
                    {"items": [{"identifier": "1"}, {"identifier": "2"}], "order": 0}
                ]
            },
        }
    }
}


def _named(business: Any, name: str, **fields: Any) -> Conversation:
    conversation = ConversationFactory(customer__business=business, **fields)
    conversation.customer.display_name = name
    conversation.customer.save()
    return conversation


def _answer(business: Any, name: str, question: dict, answer: dict) -> Conversation:
    conversation = _named(business, name)
    asked = MessageFactory(
        conversation=conversation,
        direction=OUT,
        kind=K.INTERACTIVE,
        body="Question",
        raw=question,
        status=Message.Status.SENT,
    )
    MessageFactory(
        conversation=conversation,
        direction=IN,
        kind=K.INTERACTIVE,
        body="",
        raw=answer,
        reply_to=asked,
        status=Message.Status.RECEIVED,
    )
    return conversation


def _previews(html: str) -> dict[str, str]:
    rows = re.findall(
        r'<strong class="customer">([^<]*)</strong>.*?<span class="preview">([^<]*)</span>',
        html,
        re.S,
    )
    return dict(rows)


def test_inbox_and_api_show_previews_by_kind(
    console: Client, business, agent, django_assert_max_num_queries
) -> None:
    from tests.conversations.console.test_query_counts import INBOX_QUERIES

    photo = _named(business, "Photo Customer")
    MessageFactory(
        conversation=photo,
        direction=IN,
        kind=K.ATTACHMENT,
        body="\ufffc",
        status=Message.Status.RECEIVED,
    )
    AttachmentFactory(message=photo.messages.get(), mime_type="image/jpeg")
    mine = _named(business, "My Photo")
    sent = MessageFactory(
        conversation=mine,
        direction=OUT,
        kind=K.ATTACHMENT,
        body="\ufffc",
        sender=agent,
        status=Message.Status.SENT,
    )
    AttachmentFactory(message=sent, mime_type="image/png")
    _answer(business, "Payer", PAY_QUESTION, PAY_ANSWER)
    _answer(business, "Picker", LIST_QUESTION, LIST_ANSWER)
    bot = _named(business, "Greeted")
    MessageFactory(
        conversation=bot,
        direction=OUT,
        body="Thanks for writing!",
        auto_reply=True,
        status=Message.Status.SENT,
    )
    _named(business, "Silent")

    with django_assert_max_num_queries(INBOX_QUERIES):
        html = console.get("/console/").content.decode()
    previews = _previews(html)
    assert previews["Photo Customer"] == "📷 Photo"
    assert previews["My Photo"] == "You: 📷 Photo"
    assert previews["Payer"] == "Paid 28.50 USD"
    assert previews["Picker"] == "Picked: Blue, Large"
    assert previews["Greeted"] == "Bot: Thanks for writing!"
    assert previews["Silent"] == "No messages yet"
    assert "\ufffc" not in html

    # The API and the pushes carry the same line, without a viewer ("alice: …").
    api = APIClient()
    api.force_authenticate(agent)
    answer = api.get(f"/api/v1/conversations/{mine.id}/messages/").json()
    assert answer["results"][0]["preview"] == "alice: 📷 Photo"
    payer = Conversation.objects.get(customer__display_name="Payer")
    answer = api.get(f"/api/v1/conversations/{payer.id}/messages/").json()
    assert answer["results"][-1]["preview"] == "Paid 28.50 USD"


def test_default_view_is_open_and_mine_or_unassigned_with_tab_counts(
    console: Client, business, agent, django_assert_max_num_queries
) -> None:
    from tests.conversations.console.test_query_counts import INBOX_QUERIES

    bob = UserFactory(username="bob")
    business.memberships.create(user=bob)
    _named(business, "Mine Open", assigned_agent=agent)
    _named(business, "Nobody Open")
    _named(business, "Bob Open", assigned_agent=bob)
    _named(business, "Mine Resolved", assigned_agent=agent, status="resolved")

    with django_assert_max_num_queries(INBOX_QUERIES):
        html = console.get("/console/").content.decode()
    names = set(_previews(html))
    assert names == {"Mine Open", "Nobody Open"}
    counts = dict(
        re.findall(
            r'data-assignee="([a-z_]+)"[^>]*>[^<]*<span class="tab-count" data-count="(\d+)"',
            html,
        )
    )
    assert counts == {"me_or_none": "2", "me": "1", "none": "1", "all": "3"}
    assert 'data-assignee="me_or_none" aria-current="true"' in html

    assert set(_previews(console.get("/console/?assignee=all").content.decode())) == {
        "Mine Open",
        "Nobody Open",
        "Bob Open",
    }
    assert set(_previews(console.get("/console/?assignee=me").content.decode())) == {
        "Mine Open"
    }
    assert set(
        _previews(console.get("/console/?assignee=me&status=any").content.decode())
    ) == {"Mine Open", "Mine Resolved"}
    # A teammate's conversations, as before.
    assert set(
        _previews(console.get(f"/console/?assignee={bob.pk}").content.decode())
    ) == {"Bob Open"}


def test_priority_shows_as_a_chip_and_sorts(console: Client, business) -> None:
    # Latest first by default: the urgent one is the oldest.
    urgent = _named(business, "Urgent One")
    _named(business, "Normal One")
    low = _named(business, "Low One")
    ConversationRoute.objects.create(conversation=urgent, priority=Priority.URGENT)
    ConversationRoute.objects.create(conversation=low, priority=Priority.LOW)
    html = console.get("/console/").content.decode()
    assert next(iter(_previews(html))) == "Low One"
    assert 'class="chip priority priority-urgent"' in html
    assert html.count('class="chip priority') == 2  # normal gets no chip
    html = console.get("/console/?sort=priority").content.decode()
    assert list(_previews(html)) == ["Urgent One", "Normal One", "Low One"]
    assert console.get("/console/?sort=bogus").status_code == 200
