"""Each task that gives up marks its own row failed, with the reason (explicit hooks)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from conversations import tasks as conversation_tasks
from conversations.apple.exceptions import AppleTransientError
from conversations.models import Attachment, Message
from integrations import tasks as integration_tasks
from integrations.clients import IntegrationError
from integrations.models import WebhookDelivery
from tests.factories import AttachmentFactory, MessageFactory, WebhookDeliveryFactory

pytestmark = pytest.mark.django_db


def give_up(task, exc: Exception, *args, **kwargs) -> None:
    """What Celery calls once a task has used its last retry."""
    task.on_failure(exc, "task-id", args, kwargs, None)


def test_a_crashed_delivery_is_due_again_with_the_reason() -> None:
    # Retries are bounded by time (issue 14): a crash is one more temporary error.
    message = MessageFactory(status=Message.Status.SENDING)
    give_up(
        conversation_tasks.message_deliver,
        AppleTransientError("busy", status=503),
        message.id,
    )
    message.refresh_from_db()
    assert message.status == Message.Status.PENDING
    assert "busy" in message.last_error
    assert message.failing_since is not None
    assert message.next_attempt_at is not None


def test_a_crash_past_the_retry_window_pauses_the_message(settings) -> None:
    settings.MESSAGE_RETRY_WINDOW_SECONDS = 60
    message = MessageFactory(
        status=Message.Status.PENDING,
        failing_since=timezone.now() - timedelta(minutes=5),
    )
    give_up(conversation_tasks.message_deliver, RuntimeError(), message_id=message.id)
    message.refresh_from_db()
    assert message.status == Message.Status.PAUSED
    assert message.last_error == "RuntimeError"


def test_an_attachment_that_cannot_be_fetched_is_failed_with_the_reason() -> None:
    attachment = AttachmentFactory(status=Attachment.Status.PENDING)
    give_up(
        conversation_tasks.attachment_fetch,
        AppleTransientError("gateway down", status=502),
        attachment.id,
    )
    attachment.refresh_from_db()
    assert attachment.status == Attachment.Status.FAILED
    assert "gateway down" in attachment.last_error


def test_a_webhook_that_runs_out_of_retries_is_failed_in_the_log() -> None:
    delivery = WebhookDeliveryFactory()
    give_up(
        integration_tasks.webhook_deliver,
        IntegrationError("timed out", permanent=False),
        delivery.id,
    )
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.FAILED


def test_tasks_without_rows_to_fail_have_no_hook() -> None:
    # Their own retries (or none) are the whole story; nothing is marked.
    assert "on_failure" not in conversation_tasks.typing_send.__class__.__dict__
