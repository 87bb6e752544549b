"""Sending to customers: queueing, the delivery state machine, retries and the sweeper."""

from __future__ import annotations

import contextlib
import logging
import random
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext

from .. import events, realtime
from ..apple.client import AppleClient
from ..apple.exceptions import AppleError
from ..apple.limits import needs_data_ref
from ..apple.payloads import (
    outbound_interactive_body,
    outbound_rich_link_body,
    outbound_text_body,
)
from ..attachments import (
    UPLOAD_LEASE,
    UPLOAD_SOFT_TIME_LIMIT,
    attachments_body_with_files,
)
from ..exceptions import (
    ApplicationError,
    ConflictError,
    ConversationClosedError,
)
from ..models import (
    Attachment,
    Conversation,
    Message,
)
from ..rich_links import given_link_with_assets, rich_link_data_for, rich_link_plan
from ..tasks import message_deliver as message_deliver_task
from ..types import User
from .delivery_statements import UNSETTLED, Next, claim, next_pending, status_update

logger = logging.getLogger(__name__)

MAX_TEXT_LENGTH = 10_000
# A worker's claim on a `sending` row: longer than a send can take (the task's
# hard time limit, DELIVER_TIME_LIMIT in tasks.py), so when it runs out the
# worker is dead and the sweeper sends the row again (same Apple id: Apple
# de-duplicates). Uploads renew it as they go.
SEND_LEASE = timedelta(seconds=30)


def overdue_after() -> timedelta:
    """A pending row whose due time passed this long ago has lost its task (a
    dead worker's countdown, a publish that failed): the sweeper enqueues it
    again. Shorter means faster recovery but more duplicate tasks (harmless:
    only the claimer sends) whenever the queue itself runs that late."""
    return timedelta(seconds=settings.MESSAGE_OVERDUE_SECONDS)


# Backoff between attempts on temporary errors, in seconds.
RETRY_BACKOFF_FIRST = 2
RETRY_BACKOFF_MAX = 300


class RetryLater(Exception):
    """A temporary failure: the row is pending again, due in ``seconds``."""

    def __init__(self, seconds: float, reason: str) -> None:
        super().__init__(reason)
        self.seconds = seconds


def retry_window() -> timedelta:
    """How long temporary errors are retried before the message pauses."""
    return timedelta(seconds=settings.MESSAGE_RETRY_WINDOW_SECONDS)


def _publish_delivery(message_id: int, options: dict[str, Any]) -> None:
    try:
        message_deliver_task.apply_async((message_id,), **options)
    except Exception:
        # The broker is down: mark the row overdue so the sweeper's next pass
        # (every few seconds, once the broker is back) enqueues it again.
        logger.exception("message.enqueue_failed", extra={"message_id": message_id})
        Message.objects.filter(pk=message_id, status=Message.Status.PENDING).update(
            next_attempt_at=timezone.now() - overdue_after()
        )


def _enqueue_delivery(message_id: int, *, kind: str | None = None) -> None:
    """Enqueue the delivery after commit; ``kind``, when the caller knows it,
    saves asking whether the message carries files."""
    options: dict[str, Any] = {}
    has_files = (
        kind == Message.Kind.ATTACHMENT
        if kind is not None
        else Attachment.objects.filter(message_id=message_id).exists()
    )
    if has_files:
        # Uploading 100 MB outlasts the default limits on a slow link; the
        # upload renews the row's lease, so the sweeper leaves it alone.
        options = {
            "soft_time_limit": UPLOAD_SOFT_TIME_LIMIT,
            "time_limit": UPLOAD_SOFT_TIME_LIMIT + 60,
        }
    transaction.on_commit(lambda: _publish_delivery(message_id, options))


def conversation_lock_open(conversation: Conversation) -> Conversation:
    """Lock the conversation's row for a send; refuse when the customer closed it."""
    locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
    if locked.is_closed:
        raise ConversationClosedError()
    return locked


def text_check(text: str, *, required: bool = True) -> None:
    """Refuse text Apple or our storage cannot take."""
    if required and (not text or not text.strip()):
        raise ApplicationError(gettext("A message needs some text."), code="empty_text")
    if len(text) > MAX_TEXT_LENGTH:
        raise ApplicationError(
            gettext("A message can have at most %(max_text_length)s characters.")
            % {"max_text_length": MAX_TEXT_LENGTH},
            code="text_too_long",
        )
    if "\x00" in text:
        raise ApplicationError(
            gettext("A message cannot contain NUL characters."), code="invalid_text"
        )


def message_send(
    *,
    conversation: Conversation,
    sender: User | None,
    text: str,
    auto_reply: bool = False,
) -> Message:
    """Queue a text message to the customer; delivery happens in a task.

    Every URL goes out as a rich link (spec §4): a message that is only a URL
    is one, and text with URLs is followed by one per URL (``rich_links``).
    """
    text_check(text)
    only_url, urls = rich_link_plan(text)
    with transaction.atomic():
        message = message_queue(
            conversation=conversation,
            sender=sender,
            kind=Message.Kind.RICH_LINK if only_url else Message.Kind.TEXT,
            body=text,
            raw={"url": only_url} if only_url else {},
            auto_reply=auto_reply,
        )
        for url in urls:
            message_queue(
                conversation=conversation,
                sender=sender,
                kind=Message.Kind.RICH_LINK,
                body=url,
                raw={"url": url},
                auto_reply=auto_reply,
            )
    return message


def message_queue(
    *,
    conversation: Conversation,
    sender: User | None,
    kind: str,
    body: str,
    raw: dict[str, Any] | None = None,
    request_identifier: str = "",
    auto_reply: bool = False,
    on_created: Callable[[Message], None] | None = None,
) -> Message:
    """The one way an outbound message is queued: lock, refuse a closed
    conversation, store as pending, push and enqueue its delivery after commit.

    ``raw`` holds what ``_wire_body`` turns into the body (``interactiveData``,
    ``url``/``richLinkData``). ``on_created`` runs inside the transaction, before
    the push, so related rows (files, the rich-object link) are in what agents
    receive.
    """
    with transaction.atomic():
        conversation = conversation_lock_open(conversation)
        message = Message.objects.create(
            conversation=conversation,
            direction=Message.Direction.OUT,
            kind=kind,
            body=body,
            raw=raw or {},
            request_identifier=request_identifier,
            status=Message.Status.PENDING,
            next_attempt_at=timezone.now(),
            sender=sender,
            auto_reply=auto_reply,
        )
        if on_created is not None:
            on_created(message)
        conversation.last_message_at = message.created_at
        conversation.save(update_fields=["last_message_at"])
        realtime.push_message_created(message)
        _enqueue_delivery(message.id, kind=kind)
        if sender is not None and not auto_reply:
            events.publish(
                events.AgentReplied(
                    business_id=conversation.business_id,
                    conversation_id=conversation.id,
                    message_id=message.id,
                    sender_id=sender.pk,
                    occurred_at=message.created_at,
                )
            )
    return message


def _set_status(
    message: Message,
    status: str,
    *,
    error: str = "",
    then_next: bool = False,
    **fields: Any,
) -> Next | None:
    """Record and announce the message's new status; with ``then_next``, return
    its conversation's next pending message, read in the same statement."""
    now = timezone.now()
    update: dict[str, Any] = {
        "status": status,
        "status_changed_at": now,
        "last_error": error,
        **fields,
    }
    if status == Message.Status.SENT:
        update["sent_at"] = now
    if status in (Message.Status.SENT, Message.Status.FAILED, Message.Status.PAUSED):
        update.update(next_attempt_at=None)
    if status in (Message.Status.SENT, Message.Status.FAILED):
        update.update(failing_since=None)
    following = status_update(message, update, then_next=then_next)
    for name, value in update.items():
        setattr(message, name, value)
    _status_announce(message)
    return following


def _status_announce(message: Message) -> None:
    """Agents see the new state; the features hear of it."""
    realtime.push_message_changed(message)
    events.publish(
        events.MessageStatusChanged(
            business_id=message.conversation.business_id,
            message_id=message.pk,
            conversation_id=message.conversation_id,
            status=message.status,
            attempts=message.attempts,
            error=message.last_error,
        )
    )


def _kick_next(message: Message) -> None:
    """Once a message has settled, start the conversation's next waiting one."""
    following = next_pending(message)
    if following is not None:
        _enqueue_delivery(following.id, kind=following.kind)


def _backoff(attempts: int) -> float:
    ceiling = min(RETRY_BACKOFF_MAX, RETRY_BACKOFF_FIRST * 2 ** max(attempts - 1, 0))
    # Full jitter keeps many conversations from retrying in step.
    return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - spacing, not secrets


def _temporary_failure(message: Message, reason: str) -> None:
    """Schedule the next attempt, or pause once the retry window has passed.

    Raises RetryLater when another attempt is due.
    """
    now = timezone.now()
    failing_since = message.failing_since or now
    if now - failing_since >= retry_window():
        _set_status(
            message,
            Message.Status.PAUSED,
            error=reason,
            failing_since=failing_since,
        )
        return  # Nothing behind it moves until an agent retries or drops it.
    delay = _backoff(message.attempts)
    _set_status(
        message,
        Message.Status.PENDING,
        error=reason,
        failing_since=failing_since,
        next_attempt_at=now + timedelta(seconds=delay),
    )
    raise RetryLater(delay, reason)


def _rich_link_data(message: Message) -> dict[str, Any]:
    data = message.raw.get("richLinkData")
    logo_url = message.conversation.business.logo_url
    if isinstance(data, dict):
        if (data.get("assets") or {}).get("image"):
            return data
        # Composed without an image (the library): Apple requires one.
        data = given_link_with_assets(data, logo_url=logo_url)
    else:
        data = rich_link_data_for(
            str(message.raw.get("url") or message.body), logo_url=logo_url
        )
    # Fetched here, in the delivery task, never in the request; kept so a
    # retry sends the same preview without fetching the page again.
    message.raw = {**message.raw, "richLinkData": data}
    Message.objects.filter(pk=message.pk).update(raw=message.raw)
    return data


def _wire_body(message: Message) -> dict[str, Any]:
    conversation = message.conversation
    interactive = message.raw.get("interactiveData")
    if message.kind == Message.Kind.INTERACTIVE and isinstance(interactive, dict):
        return outbound_interactive_body(
            message_id=message.apple_id,
            source_id=conversation.business.apple_id,
            destination_id=conversation.customer.apple_id,
            interactive_data=interactive,
        )
    if message.kind == Message.Kind.RICH_LINK:
        return outbound_rich_link_body(
            message_id=message.apple_id,
            source_id=conversation.business.apple_id,
            destination_id=conversation.customer.apple_id,
            rich_link_data=_rich_link_data(message),
        )
    return outbound_text_body(
        message_id=message.apple_id,
        source_id=conversation.business.apple_id,
        destination_id=conversation.customer.apple_id,
        text=message.body,
    )


# A delivery task goes on to its conversation's next messages while it has run
# less than this: queueing a task per message cost the worker more than the
# sends themselves (bench/outbound.py). Short enough that one more send (up to
# the Apple client's connect and read timeouts) ends within the task's soft
# time limit.
CONTINUE_SECONDS = 1.5


def message_deliver(*, message_id: int) -> None:
    """Send one outbound message to Apple, then its conversation's next ones.

    Idempotent: only the claimer sends. Raises RetryLater (the row pending
    again, due later) so that the task retries this message with the same
    Apple id. The conversation's following messages are sent in this task
    while ``CONTINUE_SECONDS`` last, in order, each claimed like the first; a
    temporary failure of one of them schedules a task for it (as the task's
    own retry would) and a crash marks it as the task's failure handler would.
    Past the budget, or for files (longer limits), a task of its own goes on.
    """
    started = time.monotonic()
    following = _deliver_one(message_id)
    while following is not None:
        if (
            following.kind == Message.Kind.ATTACHMENT
            or time.monotonic() - started > CONTINUE_SECONDS
        ):
            _enqueue_delivery(following.id, kind=following.kind)
            return
        current = following
        try:
            following = _deliver_one(current.id)
        except RetryLater as later:
            _publish_delivery(current.id, {"countdown": later.seconds})
            return
        except Exception as exc:
            logger.exception(
                "message.deliver_crashed", extra={"message_id": current.id}
            )
            message_deliver_crashed(
                message_id=current.id, reason=str(exc) or type(exc).__name__
            )
            return


def _deliver_one(message_id: int) -> Next | None:
    """Send one message; once it settled, the conversation's next one to send
    (None when there is none, or when this one did not settle)."""
    message = claim(
        message_id, now=timezone.now(), lease=SEND_LEASE, file_lease=UPLOAD_LEASE
    )
    if message is None:
        # Gone, settled, another worker has it, or its predecessor has not
        # settled yet (which starts this one when it does: _kick_next).
        return None
    _status_announce(message)

    if message.conversation.is_closed:
        return _set_status(
            message,
            Message.Status.FAILED,
            error="The customer closed the conversation.",
            then_next=True,
        )
    try:
        # No transaction is open here: the network call holds no locks.
        body = _wire_body(message)
        if message.kind == Message.Kind.ATTACHMENT:
            # Files go to Apple before the text that shows them; a retry
            # reuses the descriptors of files already uploaded.
            body = attachments_body_with_files(message=message, body=body)
        interactive = body.get("interactiveData") or {}
        client = AppleClient()
        # Authentication requests have their own endpoint (spec §7.6).
        send = (
            client.authenticate
            if "authenticate" in (interactive.get("data") or {})
            else client.send_message
        )
        answer = send(
            message_id=message.apple_id,
            source_id=message.conversation.business.apple_id,
            destination_id=message.conversation.customer.apple_id,
            body=body,
            auto_reply=message.auto_reply,
            include_data_ref=bool(interactive) and needs_data_ref(interactive),
        )
        if answer and isinstance(answer.get("dataRef"), dict):
            # Large payloads (spec §8): Apple's reference can be re-sent later.
            message.raw = {**message.raw, "dataRef": answer["dataRef"]}
            Message.objects.filter(pk=message.pk).update(raw=message.raw)
    except AppleError as exc:
        if exc.permanent:
            return _set_status(
                message, Message.Status.FAILED, error=exc.detail, then_next=True
            )
        _temporary_failure(message, exc.detail)
        return None
    return _set_status(message, Message.Status.SENT, then_next=True)


def message_deliver_crashed(*, message_id: int, reason: str) -> None:
    """The delivery task died of something unexpected (a bug, the database).

    Treated like a temporary error: the row is due again (the sweeper takes it),
    and pauses once the retry window has passed; order is kept either way.
    """
    message = (
        Message.objects.select_related("conversation")
        .filter(
            id=message_id, status__in=[Message.Status.PENDING, Message.Status.SENDING]
        )
        .first()
    )
    if message is None:
        return
    # On RetryLater the sweeper enqueues it once due: this task is over.
    with contextlib.suppress(RetryLater):
        _temporary_failure(message, reason or "Delivery failed.")


def message_retry(*, message: Message) -> Message:
    """Put a failed or paused outbound message back in the queue, same Apple id."""
    if message.direction != Message.Direction.OUT:
        raise ApplicationError(
            gettext("Only messages to the customer can be retried."),
            code="not_outbound",
        )
    if message.conversation.is_closed:
        raise ConversationClosedError()
    now = timezone.now()
    updated = Message.objects.filter(
        id=message.id, status__in=[Message.Status.FAILED, Message.Status.PAUSED]
    ).update(
        status=Message.Status.PENDING,
        status_changed_at=now,
        next_attempt_at=now,
        failing_since=None,
    )
    if not updated:
        raise ConflictError(
            gettext("Only failed or paused messages can be retried."), code="not_failed"
        )
    message.refresh_from_db()
    _set_status(message, Message.Status.PENDING, error=message.last_error)
    _enqueue_delivery(message.id)
    return message


def message_drop(*, message: Message, by: User | None = None) -> Message:
    """Give up on a paused message so the conversation's next ones go out."""
    if message.direction != Message.Direction.OUT:
        raise ApplicationError(
            gettext("Only messages to the customer can be dropped."),
            code="not_outbound",
        )
    updated = Message.objects.filter(
        id=message.id, status=Message.Status.PAUSED
    ).update(status=Message.Status.FAILED, status_changed_at=timezone.now())
    if not updated:
        raise ConflictError(
            gettext("Only paused messages can be dropped."), code="not_paused"
        )
    message.refresh_from_db()
    who = f" by {by.get_username()}" if by is not None else ""
    _set_status(
        message,
        Message.Status.FAILED,
        error=f"Dropped{who} after: {message.last_error}"[:2000],
    )
    _kick_next(message)
    return message


def message_requeue_stuck() -> int:
    """Re-enqueue messages whose worker died mid-send or whose task was lost.

    Runs every few seconds (beat): a `sending` row whose claim ran out goes back
    to pending at once; a pending row overdue by ``overdue_after()`` is enqueued again.
    Only the first unsettled message of each conversation is taken, so order holds
    and a paused message keeps the ones behind it waiting.
    """
    now = timezone.now()
    overdue = now - overdue_after()
    outbound = Message.objects.filter(direction=Message.Direction.OUT)
    # Rows written before due times were recorded count from their last change.
    sending_ids = list(
        outbound.filter(
            Q(next_attempt_at__lt=now)
            | Q(next_attempt_at__isnull=True, status_changed_at__lt=now - SEND_LEASE),
            status=Message.Status.SENDING,
        ).values_list("id", flat=True)
    )
    # Only rows still in `sending` go back: a late finisher may have settled one.
    outbound.filter(id__in=sending_ids, status=Message.Status.SENDING).update(
        status=Message.Status.PENDING, status_changed_at=now, next_attempt_at=now
    )
    earlier_unsettled = Message.objects.filter(
        conversation_id=OuterRef("conversation_id"),
        direction=Message.Direction.OUT,
        status__in=UNSETTLED,
        id__lt=OuterRef("id"),
    )
    pending_ids = list(
        outbound.filter(
            Q(next_attempt_at__lte=overdue)
            | Q(
                next_attempt_at__isnull=True,
                status_changed_at__lte=overdue,
            ),
            status=Message.Status.PENDING,
        )
        .exclude(Exists(earlier_unsettled))
        .values_list("id", flat=True)[:500]
    )
    ids = sorted(set(sending_ids) | set(pending_ids))
    for message_id in ids:
        _enqueue_delivery(message_id)
    if ids:
        logger.warning("messages.requeued", extra={"ids": ids})
    return len(ids)
