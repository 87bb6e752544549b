from __future__ import annotations

import uuid
from typing import Any

import pytest

from conversations.models import Message
from richobjects.builders import build_form
from richobjects.parsers import auth_failure_reason
from richobjects.presenters import rich_data_batch
from tests.factories import MessageFactory

pytestmark = pytest.mark.django_db


def test_a_form_answer_reads_as_rows_beside_its_question(
    conversation, form_spec: dict[str, Any]
) -> None:
    request_id = str(uuid.uuid4())
    request = build_form(form_spec, request_identifier=request_id)
    question = MessageFactory(
        conversation=conversation,
        kind=Message.Kind.INTERACTIVE,
        body="Service request",
        raw={"interactiveData": request},
        request_identifier=request_id,
    )
    selections = [
        {"pageIdentifier": "kind", "items": [{"identifier": "gears"}]},
        {"pageIdentifier": "name", "items": [{"identifier": "0", "value": "Jane"}]},
    ]
    answer = MessageFactory(
        conversation=conversation,
        direction=Message.Direction.IN,
        kind=Message.Kind.INTERACTIVE,
        body="",
        status=Message.Status.RECEIVED,
        reply_to=question,
        raw={
            "interactiveData": {
                "bid": request["bid"],
                "data": {
                    "requestIdentifier": request_id,
                    "dynamic": {"data": {"selections": selections}},
                },
            }
        },
    )

    reply = rich_data_batch([question, answer])[answer.pk]["reply"]  # type: ignore[index]

    assert reply["question_title"] == "Service request"
    assert reply["rows"] == [
        {"label": "What needs fixing?", "value": "Gears"},
        {"label": "Your name", "value": "Jane"},
    ]


def test_sign_in_failures_read_as_sentences() -> None:
    assert (
        auth_failure_reason("failed", has_token=False)
        == "the customer cancelled or did not finish signing in"
    )
    assert (
        auth_failure_reason("authenticated", has_token=False)
        == "the device sent no sign-in code"
    )
    assert (
        auth_failure_reason("expired", has_token=False)
        == "the device reported “expired”"
    )
    # Whatever is not a status word is never echoed back to the agent.
    assert (
        auth_failure_reason('{"error": "invalid_grant"}', has_token=False)
        == "the device sent a status that could not be read"
    )
