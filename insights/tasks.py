"""Celery tasks: thin, ids only."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="insights.csat_send", acks_late=True)
def csat_send(survey_id: int) -> None:
    from .csat import survey_send

    survey_send(survey_id=survey_id)


@shared_task(name="insights.csat_reply_handle", acks_late=True)
def csat_reply_handle(message_id: int) -> None:
    from .csat import reply_handle

    reply_handle(message_id=message_id)


@shared_task(name="insights.sla_sweep")
def sla_sweep() -> int:
    from .sla import sla_sweep as sweep

    return sweep()
