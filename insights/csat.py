"""Customer satisfaction, asked the Apple way after a resolution.

A device that shows quick replies gets Apple's quick reply (1 to 5); any other
gets the same choices as numbered text (richobjects' builders write both).
One survey per resolution: the row is unique on (conversation, resolution), so
a resolution announced twice, or a task run twice, asks once.
"""

from __future__ import annotations

import contextlib
import logging
import re
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from conversations import realtime
from conversations.exceptions import ApplicationError
from conversations.models import Business, Conversation, Message
from conversations.services import message_queue
from integrations.models import WebhookEndpoint
from integrations.services import webhook_emit
from richobjects import builders, parsers

from .models import ConversationFacts, CsatSettings, CsatSurvey

logger = logging.getLogger(__name__)

SCORES = ("1 - Very poor", "2 - Poor", "3 - OK", "4 - Good", "5 - Excellent")
# A comment is the customer's next message within this long of their score.
COMMENT_WINDOW = timedelta(hours=24)
_SCORE_TEXT = re.compile(r"^\s*([1-5])(?:\s*[^\w\s].*)?\s*$")


def csat_settings_get(*, business: Business) -> CsatSettings:
    return CsatSettings.objects.filter(business=business).first() or CsatSettings(
        business=business
    )


def survey_spec(question: str) -> dict[str, Any]:
    return {
        "summary": question,
        "items": [{"id": str(n), "title": title} for n, title in enumerate(SCORES, 1)],
    }


def score_from_text(text: str) -> int | None:
    """ "4", "4.", "4 - Good": the numbered text alternative's answers."""
    found = _SCORE_TEXT.match(text or "")
    return int(found.group(1)) if found else None


def survey_schedule(*, conversation_id: int) -> CsatSurvey | None:
    """After a resolution: create this resolution's survey and send it after the delay."""
    from .tasks import csat_send

    facts = (
        ConversationFacts.objects.filter(conversation_id=conversation_id)
        .select_related("business")
        .first()
    )
    if facts is None or facts.resolutions == 0:
        return None
    settings = csat_settings_get(business=facts.business)
    if not settings.enabled:
        return None
    survey, created = CsatSurvey.objects.get_or_create(
        conversation_id=conversation_id,
        resolution=facts.resolutions,
        defaults={"business_id": facts.business_id, "agent_id": facts.resolved_by_id},
    )
    if created:
        transaction.on_commit(
            lambda: csat_send.apply_async(
                (survey.id,), countdown=settings.delay_minutes * 60
            ),
            robust=True,
        )
    return survey


def survey_send(*, survey_id: int) -> CsatSurvey | None:
    """Ask, if the conversation is still in the resolution the survey is about."""
    with transaction.atomic():
        survey = (
            CsatSurvey.objects.select_for_update()
            .filter(id=survey_id, status=CsatSurvey.Status.SCHEDULED)
            .first()
        )
        if survey is None:
            return None
        conversation = Conversation.objects.select_related("business", "customer").get(
            pk=survey.conversation_id
        )
        facts = ConversationFacts.objects.get(conversation_id=conversation.pk)
        if (
            conversation.status != Conversation.Status.RESOLVED
            or facts.resolutions != survey.resolution
        ):
            # Reopened or closed before the delay ran out: nothing to rate yet.
            survey.status = CsatSurvey.Status.CANCELLED
            survey.save(update_fields=["status"])
            return survey
        question = csat_settings_get(business=conversation.business).question
        spec = survey_spec(question)
        try:
            if builders.device_supports(
                builders.Kind.QUICK_REPLY,
                conversation.capabilities or [],
                conversation.device_agent,
            ):
                payload = builders.build_quick_reply(spec)
                request_identifier = payload["data"]["requestIdentifier"]
                message = message_queue(
                    conversation=conversation,
                    sender=None,
                    kind=Message.Kind.INTERACTIVE,
                    body=question,
                    raw={"interactiveData": payload, "csat": survey.id},
                    request_identifier=request_identifier,
                )
                survey.sent_as = CsatSurvey.SentAs.QUICK_REPLY
                survey.request_identifier = request_identifier
            else:
                message = message_queue(
                    conversation=conversation,
                    sender=None,
                    kind=Message.Kind.TEXT,
                    body=builders.text_alternative(builders.Kind.QUICK_REPLY, spec),
                    raw={"csat": survey.id},
                )
                survey.sent_as = CsatSurvey.SentAs.TEXT
        except ApplicationError as exc:
            logger.info(
                "csat.not_sent", extra={"survey": survey.id, "reason": exc.message}
            )
            survey.status = CsatSurvey.Status.CANCELLED
            survey.save(update_fields=["status"])
            return survey
        survey.message = message
        survey.status = CsatSurvey.Status.SENT
        survey.sent_at = timezone.now()
        survey.save()
    return survey


def _open_survey(conversation_id: int) -> CsatSurvey | None:
    return (
        CsatSurvey.objects.filter(
            conversation_id=conversation_id,
            status__in=[CsatSurvey.Status.SENT, CsatSurvey.Status.ANSWERED],
        )
        .order_by("-resolution")
        .first()
    )


def _wants(survey: CsatSurvey, text: str, request_identifier: str) -> str | None:
    """What an inbound message would be to ``survey``: "score", "comment" or None."""
    if survey.status == CsatSurvey.Status.SENT:
        if request_identifier and request_identifier == survey.request_identifier:
            return "score"
        if (
            survey.sent_as == CsatSurvey.SentAs.TEXT
            and not request_identifier
            and score_from_text(text) is not None
        ):
            return "score"
        return None
    if (
        survey.comment_requested
        and not survey.comment
        and not request_identifier
        and text.strip()
        and survey.answered_at is not None
        and timezone.now() - survey.answered_at < COMMENT_WINDOW
    ):
        return "comment"
    return None


def survey_expects(conversation_id: int, text: str, request_identifier: str) -> bool:
    """The core's status keeper: an answer or comment leaves it resolved."""
    survey = _open_survey(conversation_id)
    return survey is not None and _wants(survey, text, request_identifier) is not None


def _score_of(message: Message, survey: CsatSurvey) -> int | None:
    if survey.sent_as == CsatSurvey.SentAs.TEXT:
        return score_from_text(message.body)
    reply = message.raw.get("interactiveData") or message.raw
    request = (
        survey.message.raw.get("interactiveData") if survey.message else {}
    ) or {}
    chosen = parsers.parse_quick_reply(reply, request)
    try:
        score = int(chosen.identifier or "")
    except ValueError:
        return None
    return score if 1 <= score <= 5 else None


def reply_handle(*, message_id: int) -> CsatSurvey | None:
    """A customer message: the survey's score, its comment, or nothing to us.

    An answer counts whatever the conversation's status now, so a customer who
    wrote again (reopening) and then tapped a score still gives that score.
    """
    message = (
        Message.objects.filter(id=message_id, direction=Message.Direction.IN)
        .exclude(kind=Message.Kind.SYSTEM)
        .first()
    )
    if message is None:
        return None
    with transaction.atomic():
        survey = _open_survey(message.conversation_id)
        if survey is None:
            return None
        survey = (
            CsatSurvey.objects.select_for_update(of=("self",))
            .select_related("message")
            .get(pk=survey.pk)
        )
        if survey.answer_message_id == message.id:
            return survey  # Ran twice.
        text = message.body if message.kind != Message.Kind.INTERACTIVE else ""
        wants = _wants(survey, text, message.request_identifier)
        if wants == "score":
            score = _score_of(message, survey)
            if score is None:
                return None
            survey.score = score
            survey.status = CsatSurvey.Status.ANSWERED
            survey.answered_at = message.created_at
            survey.answer_message_id = message.id
            settings = csat_settings_get(business=message.conversation.business)
            survey.comment_requested = bool(settings.comment_prompt)
            survey.save()
            if settings.comment_prompt:
                # Closed since: the score stands without a comment.
                with contextlib.suppress(ApplicationError):
                    message_queue(
                        conversation=message.conversation,
                        sender=None,
                        kind=Message.Kind.TEXT,
                        body=settings.comment_prompt,
                        raw={"csat": survey.id},
                    )
        elif wants == "comment":
            survey.comment = message.body[:5000]
            survey.commented_at = message.created_at
            survey.save(update_fields=["comment", "commented_at"])
        else:
            return None
        _announce(survey, what=wants)
    return survey


def survey_data(survey: CsatSurvey) -> dict[str, Any]:
    return {
        "conversation": survey.conversation_id,
        "resolution": survey.resolution,
        "score": survey.score,
        "comment": survey.comment,
        "agent": survey.agent.get_username() if survey.agent else None,
        "sent_as": survey.sent_as,
        "answered_at": survey.answered_at.isoformat() if survey.answered_at else None,
    }


def _announce(survey: CsatSurvey, *, what: str) -> None:
    conversation = Conversation.objects.select_related(
        "business", "customer", "assigned_agent"
    ).get(pk=survey.conversation_id)
    data = {**survey_data(survey), "customer": conversation.customer.apple_id}
    webhook_emit(
        business_id=survey.business_id,
        event=WebhookEndpoint.Event.CSAT_ANSWERED,
        data=data,
        dedupe_key=f"csat:{survey.id}:{what}",
    )
    realtime.push_conversation_changed(conversation)
