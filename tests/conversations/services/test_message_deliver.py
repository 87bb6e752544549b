from __future__ import annotations

import base64
import uuid
from datetime import timedelta

import jwt
import pytest
from django.utils import timezone

from conversations import services
from conversations.models import Conversation, Message
from conversations.tasks import message_deliver as message_deliver_task
from tests.factories import ConversationFactory, MessageFactory

# Real commits: delivery is enqueued on commit and runs eagerly, as in production.
pytestmark = pytest.mark.django_db(transaction=True)

SECRET = base64.b64decode("dGVzdC1zZWNyZXQtZm9yLXRoZS1tc3AtY29uc29sZS1zdWl0ZQ==")


def test_message_goes_out_with_apple_headers_and_exact_bytes(
    conversation, agent, apple_gateway
):
    text = "Olá 👨‍👩‍👧 שלום 你好"
    message = services.message_send(conversation=conversation, sender=agent, text=text)
    request = apple_gateway.requests[0]
    assert request.path == "/v1/message"
    claims = jwt.decode(
        request.headers["authorization"].removeprefix("Bearer "),
        SECRET,
        algorithms=["HS256"],
    )
    assert claims["iss"] == "test-msp"
    assert request.headers["id"] == message.apple_id
    assert request.headers["source-id"] == conversation.business.apple_id
    assert request.headers["destination-id"] == conversation.customer.apple_id
    assert "auto-reply" not in request.headers
    assert request.headers["msp-agent"]
    assert request.json["body"].encode() == text.encode()
    assert text.encode("utf-8") in request.content
    assert request.json["type"] == "text"
    assert request.json["v"] == 1
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert message.attempts == 1
    assert message.sent_at is not None


def test_bot_messages_carry_auto_reply(conversation, apple_gateway):
    services.message_send(
        conversation=conversation, sender=None, text="I'm a bot", auto_reply=True
    )
    assert apple_gateway.requests[0].headers["auto-reply"] == "true"


def test_transient_errors_are_retried_with_the_same_id(
    conversation, agent, apple_gateway
):
    apple_gateway.fail_next(2, status=503)
    message = services.message_send(
        conversation=conversation, sender=agent, text="retry me"
    )
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert message.attempts == 3
    ids = {r.headers["id"] for r in apple_gateway.requests}
    assert ids == {message.apple_id}
    assert len(apple_gateway.requests) == 3


def test_429_is_transient_too(conversation, agent, apple_gateway):
    apple_gateway.fail_next(1, status=429)
    message = services.message_send(
        conversation=conversation, sender=agent, text="slow down"
    )
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert message.attempts == 2


def test_permanent_4xx_marks_failed_with_the_reason_and_is_not_retried(
    conversation, agent, apple_gateway
):
    apple_gateway.fail_next(1, status=400, body='{"error": "bad destination"}')
    message = services.message_send(
        conversation=conversation, sender=agent, text="nope"
    )
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED
    assert "400" in message.last_error
    assert "bad destination" in message.last_error
    assert len(apple_gateway.requests) == 1


def test_retries_are_bounded_by_time_not_by_count(conversation, agent, apple_gateway):
    apple_gateway.fail_next(9, status=500)
    first = services.message_send(conversation=conversation, sender=agent, text="first")
    first.refresh_from_db()
    assert first.status == Message.Status.SENT
    assert first.attempts == 10
    assert first.failing_since is None
    assert first.next_attempt_at is None


def test_past_the_retry_window_a_message_pauses_and_holds_the_next(
    conversation, agent, apple_gateway, settings
):
    settings.MESSAGE_RETRY_WINDOW_SECONDS = 0
    apple_gateway.fail_next(1, status=503)
    first = services.message_send(conversation=conversation, sender=agent, text="first")
    second = services.message_send(
        conversation=conversation, sender=agent, text="second"
    )
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Message.Status.PAUSED
    assert "503" in first.last_error
    assert second.status == Message.Status.PENDING
    assert services.message_requeue_stuck() == 0  # the sweeper keeps it waiting too
    assert [r.json["body"] for r in apple_gateway.requests] == ["first"]

    services.message_drop(message=first, by=agent)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Message.Status.FAILED
    assert first.last_error.startswith("Dropped by alice")
    assert second.status == Message.Status.SENT


def test_retrying_a_paused_message_sends_it_then_the_next(
    conversation, agent, apple_gateway, settings
):
    settings.MESSAGE_RETRY_WINDOW_SECONDS = 0
    apple_gateway.fail_next(1, status=503)
    first = services.message_send(conversation=conversation, sender=agent, text="first")
    services.message_send(conversation=conversation, sender=agent, text="second")
    settings.MESSAGE_RETRY_WINDOW_SECONDS = 3600
    services.message_retry(message=first)
    assert [r.json["body"] for r in apple_gateway.requests] == [
        "first",
        "first",
        "second",
    ]
    assert set(
        Message.objects.filter(conversation=conversation).values_list(
            "status", flat=True
        )
    ) == {Message.Status.SENT}


def test_only_paused_messages_can_be_dropped(conversation, apple_gateway):
    from conversations.exceptions import ConflictError

    message = MessageFactory(conversation=conversation, status=Message.Status.SENT)
    with pytest.raises(ConflictError):
        services.message_drop(message=message)


def test_a_temporary_error_records_when_the_next_attempt_is_due(
    conversation, apple_gateway
):
    apple_gateway.fail_next(1, status=503)
    message = MessageFactory(conversation=conversation, status=Message.Status.PENDING)
    before = timezone.now()
    with pytest.raises(services.RetryLater) as later:
        services.message_deliver(message_id=message.id)
    message.refresh_from_db()
    assert message.status == Message.Status.PENDING
    assert message.failing_since >= before
    assert message.next_attempt_at > before
    delay = (message.next_attempt_at - before).total_seconds()
    assert abs(delay - later.value.seconds) < 1


def test_sweeper_sends_pending_rows_overdue_by_a_minute(conversation, apple_gateway):
    overdue = MessageFactory(
        conversation=conversation,
        status=Message.Status.PENDING,
        next_attempt_at=timezone.now() - timedelta(seconds=61),
    )
    not_yet = MessageFactory(
        conversation=ConversationFactory(),
        status=Message.Status.PENDING,
        next_attempt_at=timezone.now() - timedelta(seconds=30),
    )
    assert services.message_requeue_stuck() == 1
    overdue.refresh_from_db()
    not_yet.refresh_from_db()
    assert overdue.status == Message.Status.SENT
    assert not_yet.status == Message.Status.PENDING


def test_sweeper_takes_sending_rows_whose_claim_ran_out(conversation, apple_gateway):
    expired = MessageFactory(
        conversation=conversation,
        status=Message.Status.SENDING,
        next_attempt_at=timezone.now() - timedelta(seconds=1),
    )
    claimed = MessageFactory(
        conversation=ConversationFactory(),
        status=Message.Status.SENDING,
        next_attempt_at=timezone.now() + timedelta(seconds=20),
    )
    assert services.message_requeue_stuck() == 1
    expired.refresh_from_db()
    claimed.refresh_from_db()
    assert expired.status == Message.Status.SENT
    assert claimed.status == Message.Status.SENDING


def test_a_failed_publish_marks_the_row_for_the_next_sweep(
    conversation, agent, apple_gateway, monkeypatch
):
    from conversations.services import outbound

    publish = outbound.message_deliver_task.apply_async
    broker = {"up": False}

    def apply_async(*args, **kwargs):
        if not broker["up"]:
            raise ConnectionError("Error 111 connecting to redis")
        return publish(*args, **kwargs)

    monkeypatch.setattr(outbound.message_deliver_task, "apply_async", apply_async)
    message = services.message_send(
        conversation=conversation, sender=agent, text="while the broker is down"
    )
    message.refresh_from_db()
    assert message.status == Message.Status.PENDING
    assert message.next_attempt_at <= timezone.now() - outbound.overdue_after()
    broker["up"] = True
    assert services.message_requeue_stuck() == 1
    message.refresh_from_db()
    assert message.status == Message.Status.SENT


def test_a_message_waits_for_its_predecessor(conversation, agent, apple_gateway):
    earlier = MessageFactory(conversation=conversation, status=Message.Status.SENDING)
    later = MessageFactory(conversation=conversation, status=Message.Status.PENDING)
    services.message_deliver(message_id=later.id)
    later.refresh_from_db()
    assert later.status == Message.Status.PENDING
    assert apple_gateway.requests == []
    # Once the predecessor settles, the waiting message is started.
    Message.objects.filter(pk=earlier.pk).update(status=Message.Status.PENDING)
    services.message_deliver(message_id=earlier.id)
    later.refresh_from_db()
    assert later.status == Message.Status.SENT
    assert [r.json["body"] for r in apple_gateway.requests] == [
        earlier.body,
        later.body,
    ]


def test_delivery_is_claimed_once(conversation, apple_gateway):
    message = MessageFactory(conversation=conversation, status=Message.Status.PENDING)
    services.message_deliver(message_id=message.id)
    services.message_deliver(message_id=message.id)
    message_deliver_task.apply(args=(message.id,))
    assert len(apple_gateway.requests) == 1


def test_missing_message_is_ignored(apple_gateway):
    services.message_deliver(message_id=987654)
    assert apple_gateway.requests == []


def test_conversation_closed_after_queueing_is_not_sent(conversation, apple_gateway):
    message = MessageFactory(conversation=conversation, status=Message.Status.PENDING)
    Conversation.objects.filter(pk=conversation.pk).update(
        status=Conversation.Status.CLOSED
    )
    services.message_deliver(message_id=message.id)
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED
    assert "closed" in message.last_error
    assert apple_gateway.requests == []


def test_every_status_change_is_published(conversation, agent, apple_gateway):
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(f"business.{conversation.business_id}", channel)
    services.message_send(conversation=conversation, sender=agent, text="watch me")
    seen = []
    for _ in range(3):
        event = async_to_sync(layer.receive)(channel)
        seen.append((event["payload"]["type"], event["payload"]["data"]["status"]))
    assert seen == [
        ("message.created", "pending"),
        ("message.status_changed", "sending"),
        ("message.status_changed", "sent"),
    ]


def test_sweeper_requeues_messages_stuck_in_sending(conversation, apple_gateway):
    stuck = MessageFactory(conversation=conversation, status=Message.Status.SENDING)
    Message.objects.filter(pk=stuck.pk).update(
        status_changed_at=timezone.now() - timedelta(minutes=5)
    )
    fresh = MessageFactory(
        conversation=ConversationFactory(), status=Message.Status.SENDING
    )
    assert services.message_requeue_stuck() == 1
    stuck.refresh_from_db()
    fresh.refresh_from_db()
    assert stuck.status == Message.Status.SENT
    assert fresh.status == Message.Status.SENDING


def test_apple_id_is_generated_once_per_message(conversation, agent, apple_gateway):
    message = services.message_send(conversation=conversation, sender=agent, text="x")
    uuid.UUID(message.apple_id)
    assert Message.objects.get(pk=message.pk).apple_id == message.apple_id


def _pending_in_order(conversation, count: int) -> list[Message]:
    return [
        MessageFactory(
            conversation=conversation, status=Message.Status.PENDING, body=f"m{n}"
        )
        for n in range(count)
    ]


def test_one_task_goes_on_to_the_conversations_next_messages(
    conversation, apple_gateway, monkeypatch
):
    messages = _pending_in_order(conversation, 4)
    enqueued: list[int] = []
    monkeypatch.setattr(
        "conversations.services.outbound._publish_delivery",
        lambda message_id, options: enqueued.append(message_id),
    )
    services.message_deliver(message_id=messages[0].id)
    assert [r.json["body"] for r in apple_gateway.requests] == ["m0", "m1", "m2", "m3"]
    assert enqueued == []  # no task per message
    assert set(
        Message.objects.filter(conversation=conversation).values_list(
            "status", flat=True
        )
    ) == {Message.Status.SENT}


def test_past_its_time_budget_a_task_hands_the_rest_to_a_new_task(
    conversation, apple_gateway, monkeypatch
):
    messages = _pending_in_order(conversation, 3)
    monkeypatch.setattr("conversations.services.outbound.CONTINUE_SECONDS", -1.0)
    enqueued: list[int] = []
    monkeypatch.setattr(
        "conversations.services.outbound._publish_delivery",
        lambda message_id, options: enqueued.append(message_id),
    )
    services.message_deliver(message_id=messages[0].id)
    assert [r.json["body"] for r in apple_gateway.requests] == ["m0"]
    assert enqueued == [messages[1].id]


def test_a_temporary_failure_further_on_schedules_that_message_and_keeps_order(
    conversation, apple_gateway, monkeypatch
):
    messages = _pending_in_order(conversation, 3)
    scheduled: list[tuple[int, dict]] = []
    monkeypatch.setattr(
        "conversations.services.outbound._publish_delivery",
        lambda message_id, options: scheduled.append((message_id, options)),
    )
    sent = {"n": 0}
    original = apple_gateway.handle

    def second_fails_once(request):
        sent["n"] += 1
        if sent["n"] == 2:
            apple_gateway.fail_next(1, status=503)
        return original(request)

    monkeypatch.setattr(apple_gateway, "handle", second_fails_once)
    services.message_deliver(message_id=messages[0].id)
    statuses = {
        m.body: m.status for m in Message.objects.filter(conversation=conversation)
    }
    assert statuses == {
        "m0": Message.Status.SENT,
        "m1": Message.Status.PENDING,  # due again later, with its countdown
        "m2": Message.Status.PENDING,  # behind it, untouched
    }
    assert [(message_id, set(options)) for message_id, options in scheduled] == [
        (messages[1].id, {"countdown"})
    ]
    # The scheduled task runs: the second goes out, then the third after it.
    services.message_deliver(message_id=messages[1].id)
    assert [r.json["body"] for r in apple_gateway.requests] == ["m0", "m1", "m1", "m2"]
    assert {m.status for m in Message.objects.filter(conversation=conversation)} == {
        Message.Status.SENT
    }


def test_a_crash_further_on_marks_that_message_and_stops(
    conversation, apple_gateway, monkeypatch
):
    messages = _pending_in_order(conversation, 3)
    from conversations.services import outbound

    real_wire_body = outbound._wire_body

    def crash_on_second(message):
        if message.body == "m1":
            raise RuntimeError("a bug")
        return real_wire_body(message)

    monkeypatch.setattr(outbound, "_wire_body", crash_on_second)
    services.message_deliver(message_id=messages[0].id)
    second = Message.objects.get(pk=messages[1].id)
    assert second.status == Message.Status.PENDING
    assert "a bug" in second.last_error
    assert Message.objects.get(pk=messages[2].id).status == Message.Status.PENDING
    assert [r.json["body"] for r in apple_gateway.requests] == ["m0"]
