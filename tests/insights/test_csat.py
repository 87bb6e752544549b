"""CSAT: asked once per resolution, the Apple way, answered, stored, announced."""

from __future__ import annotations

import pytest

from conversations.models import Conversation, Message
from conversations.services import conversation_assign, conversation_set_status
from insights.csat import score_from_text
from insights.models import CsatSettings, CsatSurvey
from integrations.models import WebhookDelivery, WebhookEndpoint

from .helpers import customer_taps, customer_writes

pytestmark = pytest.mark.django_db


@pytest.fixture
def csat_on(business):
    return CsatSettings.objects.create(
        business=business, enabled=True, question="How did we do?"
    )


@pytest.fixture
def hook(business):
    return WebhookEndpoint.objects.create(
        business=business,
        url="https://hooks.example.com/csat",
        secret="s3cret",
        event_types=[WebhookEndpoint.Event.CSAT_ANSWERED],
    )


def resolved_conversation(business, agent, capture, **kwargs) -> Conversation:
    with capture(execute=True):
        message = customer_writes(business, "My bike is broken", **kwargs)
    conversation = message.conversation
    with capture(execute=True):
        conversation_assign(conversation=conversation, actor=agent, assignee=agent)
    with capture(execute=True):
        conversation_set_status(
            conversation=conversation, actor=agent, status="resolved"
        )
    return conversation


def survey_message(conversation: Conversation) -> Message:
    return Message.objects.filter(
        conversation=conversation, direction="out", raw__has_key="csat"
    ).first()


def test_a_quick_reply_survey_is_answered_and_announced(
    business, agent, csat_on, hook, django_capture_on_commit_callbacks, monkeypatch
) -> None:
    monkeypatch.setattr(
        "integrations.tasks.webhook_deliver.delay", lambda *a, **k: None
    )  # Delivery itself is integrations' business, tested there.
    capture = django_capture_on_commit_callbacks
    conversation = resolved_conversation(business, agent, capture)
    asked = survey_message(conversation)
    assert asked.kind == "interactive"
    items = asked.raw["interactiveData"]["data"]["quick-reply"]["items"]
    assert [i["identifier"] for i in items] == ["1", "2", "3", "4", "5"]

    with capture(execute=True):
        customer_taps(business, asked, items[3])
    survey = CsatSurvey.objects.get(conversation=conversation)
    assert (survey.score, survey.agent_id, survey.sent_as) == (
        4,
        agent.pk,
        "quick_reply",
    )
    conversation.refresh_from_db()
    assert conversation.status == "resolved"  # An answer is not a new question.

    # The comment prompt went out; the next message is the comment.
    with capture(execute=True):
        customer_writes(business, "Fast and friendly")
    survey.refresh_from_db()
    assert survey.comment == "Fast and friendly"
    conversation.refresh_from_db()
    assert conversation.status == "resolved"

    deliveries = WebhookDelivery.objects.filter(event="csat.answered").order_by("id")
    assert [d.payload["score"] for d in deliveries] == [4, 4]
    assert deliveries[1].payload["comment"] == "Fast and friendly"
    assert deliveries[0].payload["agent"] == agent.get_username()


def test_never_asked_twice_for_one_resolution(
    business, agent, csat_on, django_capture_on_commit_callbacks
) -> None:
    from insights.csat import survey_schedule

    conversation = resolved_conversation(
        business, agent, django_capture_on_commit_callbacks
    )
    with django_capture_on_commit_callbacks(execute=True):
        survey_schedule(conversation_id=conversation.id)
    assert CsatSurvey.objects.filter(conversation=conversation).count() == 1
    assert (
        Message.objects.filter(conversation=conversation, raw__has_key="csat").count()
        == 1
    )


def test_a_device_without_quick_replies_gets_numbered_text(
    business, agent, csat_on, django_capture_on_commit_callbacks
) -> None:
    capture = django_capture_on_commit_callbacks
    conversation = resolved_conversation(
        business, agent, capture, capabilities=frozenset()
    )
    asked = survey_message(conversation)
    assert asked.kind == "text"
    assert "1. 1 - Very poor" in asked.body
    assert "5. 5 - Excellent" in asked.body
    with capture(execute=True):
        customer_writes(business, "5", capabilities=frozenset())
    survey = CsatSurvey.objects.get(conversation=conversation)
    assert (survey.score, survey.sent_as) == (5, "text")


def test_an_answer_after_a_reopen_counts_for_that_resolution(
    business, agent, csat_on, django_capture_on_commit_callbacks
) -> None:
    capture = django_capture_on_commit_callbacks
    conversation = resolved_conversation(business, agent, capture)
    asked = survey_message(conversation)
    with capture(execute=True):
        customer_writes(business, "Wait, one more question")  # reopens
    conversation.refresh_from_db()
    assert conversation.status == "open"
    items = asked.raw["interactiveData"]["data"]["quick-reply"]["items"]
    with capture(execute=True):
        customer_taps(business, asked, items[1])
    survey = CsatSurvey.objects.get(conversation=conversation)
    assert (survey.resolution, survey.score) == (1, 2)
    # Resolving again asks about the second resolution, once.
    with capture(execute=True):
        conversation_set_status(
            conversation=conversation, actor=agent, status="resolved"
        )
    assert list(
        CsatSurvey.objects.filter(conversation=conversation)
        .values_list("resolution", "status")
        .order_by("resolution")
    ) == [(1, "answered"), (2, "sent")]


def test_off_by_default(business, agent, django_capture_on_commit_callbacks) -> None:
    conversation = resolved_conversation(
        business, agent, django_capture_on_commit_callbacks
    )
    assert not CsatSurvey.objects.filter(conversation=conversation).exists()


def test_the_console_shows_the_score(
    business, agent, csat_on, django_capture_on_commit_callbacks, client
) -> None:
    capture = django_capture_on_commit_callbacks
    conversation = resolved_conversation(business, agent, capture)
    asked = survey_message(conversation)
    items = asked.raw["interactiveData"]["data"]["quick-reply"]["items"]
    with capture(execute=True):
        customer_taps(business, asked, items[4])
    client.force_login(agent)
    page = client.get(f"/console/c/{conversation.id}/").content.decode()
    assert "5/5" in page


@pytest.mark.parametrize(
    ("text", "score"),
    [
        ("4", 4),
        (" 5 ", 5),
        ("3 - OK", 3),
        ("2.", 2),
        ("45", None),
        ("6", None),
        ("four", None),
    ],
)
def test_text_answers(text: str, score: int | None) -> None:
    assert score_from_text(text) == score
