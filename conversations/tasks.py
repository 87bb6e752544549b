"""Celery tasks: thin adapters that take ids and call services."""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task

from .apple.exceptions import AppleTransientError


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
    """After the last retry: mark the message failed and let the next one go."""
    from .services import message_mark_failed

    message_id = _first_arg(args, kwargs, "message_id")
    if message_id is not None:
        message_mark_failed(message_id=message_id, reason=_reason(exc))


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


@shared_task(
    name="conversations.message_deliver",
    bind=True,
    acks_late=True,
    autoretry_for=(AppleTransientError,),
    retry_backoff=2,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=8,
    on_failure=message_deliver_failed,
)
def message_deliver(self: Task, message_id: int) -> None:
    """Send one message to Apple. Idempotent: the service claims the row first."""
    from .services import message_deliver as deliver

    deliver(message_id=message_id)


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
