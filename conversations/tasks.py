"""Celery tasks: thin adapters that take ids and call services."""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, shared_task
from celery.exceptions import Retry

from .apple.exceptions import AppleTransientError

logger = logging.getLogger(__name__)


def _reason(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


def _first_arg(args: tuple[Any, ...], kwargs: dict[str, Any], name: str) -> Any:
    return kwargs.get(name, args[0] if args else None)


def message_deliver_failed(
    task: Task,
    exc: BaseException,
    task_id: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    einfo: Any,
) -> None:
    """The task died unexpectedly: the row is due again, or paused past the window."""
    from .services import message_deliver_crashed

    message_id = _first_arg(args, kwargs, "message_id")
    if message_id is not None:
        message_deliver_crashed(message_id=message_id, reason=_reason(exc))


def attachment_fetch_failed(
    task: Task,
    exc: BaseException,
    task_id: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    einfo: Any,
) -> None:
    """After the last retry: show the file as failed, with the reason and Retry."""
    from .attachments import attachment_mark_failed

    attachment_id = _first_arg(args, kwargs, "attachment_id")
    if attachment_id is not None:
        attachment_mark_failed(attachment_id=attachment_id, reason=_reason(exc))


# Below the row's claim (outbound.SEND_LEASE, 30 s): a live worker has always
# given up before the sweeper may hand its row to another one.
DELIVER_SOFT_TIME_LIMIT = 22
DELIVER_TIME_LIMIT = 26
# Eager mode retries at once, in the caller's stack: bound it there.
EAGER_MAX_RETRIES = 10


@shared_task(
    name="conversations.message_deliver",
    bind=True,
    acks_late=True,
    soft_time_limit=DELIVER_SOFT_TIME_LIMIT,
    time_limit=DELIVER_TIME_LIMIT,
    max_retries=None,  # bounded by MESSAGE_RETRY_WINDOW_SECONDS instead
    on_failure=message_deliver_failed,
)
def message_deliver(self: Task, message_id: int) -> None:
    """Send one message to Apple. Idempotent: the service claims the row first.

    Retries are bounded by time, not by count (the service pauses the message
    once MESSAGE_RETRY_WINDOW_SECONDS have passed); each next attempt is also
    recorded on the row, so the sweeper sends it if this countdown is lost.
    """
    from .services import RetryLater
    from .services import message_deliver as deliver

    try:
        deliver(message_id=message_id)
    except RetryLater as later:
        if self.request.is_eager and self.request.retries >= EAGER_MAX_RETRIES:
            return  # No broker (development): the row stays pending, due.
        try:
            raise self.retry(countdown=later.seconds) from None
        except Retry:
            raise
        except Exception:
            # The broker refused the countdown: the row is pending with its due
            # time, and the sweeper enqueues it once overdue.
            logger.warning("message.retry_not_scheduled", exc_info=True)


@shared_task(name="conversations.typing_send", ignore_result=True)
def typing_send(conversation_id: int, typing: bool) -> None:
    """Send an agent's typing state; never retried (a late indicator misleads)."""
    from .services import typing_send as send

    send(conversation_id=conversation_id, typing=typing)


@shared_task(name="conversations.idempotency_keys_purge")
def idempotency_keys_purge() -> int:
    """Beat task: forget Idempotency-Key answers older than 24 hours."""
    from .idempotency import idempotency_keys_purge as purge

    return purge()


@shared_task(name="conversations.message_requeue_stuck")
def message_requeue_stuck() -> int:
    """Beat task: re-enqueue outbound messages whose worker or task was lost."""
    from .services import message_requeue_stuck as requeue

    return requeue()


@shared_task(
    name="conversations.interactive_reply_resolve",
    acks_late=True,
    autoretry_for=(AppleTransientError,),
    retry_backoff=1,
    retry_backoff_max=10,
    retry_jitter=True,
    # The reference's URL expires within minutes: retry briefly, then give up.
    max_retries=4,
)
def interactive_reply_resolve(message_id: int) -> None:
    """Resolve an interactiveDataRef reply. Idempotent: resolved rows are skipped."""
    from .services import interactive_reply_resolve as resolve

    resolve(message_id=message_id)


@shared_task(
    name="conversations.attachment_fetch",
    bind=True,
    acks_late=True,
    autoretry_for=(AppleTransientError,),
    retry_backoff=2,
    retry_backoff_max=120,
    retry_jitter=True,
    max_retries=5,
    # 100 MB at a slow link takes minutes, far beyond the 30 s default.
    soft_time_limit=600,
    time_limit=660,
    on_failure=attachment_fetch_failed,
)
def attachment_fetch(self: Task, attachment_id: int) -> None:
    """Fetch, decrypt and store one inbound attachment.

    Idempotent: the service claims the pending row, and a stored file is skipped.
    """
    from .attachments import attachment_fetch as fetch

    fetch(attachment_id=attachment_id)
