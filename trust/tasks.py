"""Exports and erasures run here, out of the request; progress is on the row."""

from __future__ import annotations

import logging

from celery import shared_task

from conversations.exceptions import ApplicationError

from . import retention
from .data_rights import customer_erase_run, customer_export_run, data_request_finish
from .models import DataRequest

logger = logging.getLogger(__name__)


def _run(request_id: int, kind: str) -> None:
    request = DataRequest.objects.filter(
        pk=request_id, kind=kind, status=DataRequest.Status.QUEUED
    ).first()
    if request is None:
        return
    DataRequest.objects.filter(pk=request.pk).update(status=DataRequest.Status.RUNNING)

    def progress(percent: int) -> None:
        DataRequest.objects.filter(pk=request.pk).update(progress=min(percent, 99))

    try:
        if kind == DataRequest.Kind.EXPORT:
            customer_export_run(request, progress)
        else:
            customer_erase_run(request, progress)
    except ApplicationError as exc:
        DataRequest.objects.filter(pk=request.pk).update(
            status=DataRequest.Status.FAILED, error=exc.message
        )
        return
    except Exception:
        logger.exception("trust.data_request_failed", extra={"request": request.pk})
        DataRequest.objects.filter(pk=request.pk).update(
            status=DataRequest.Status.FAILED, error="Failed; see the worker's log."
        )
        raise
    data_request_finish(request)


# A large customer takes longer than the default 30 s limit.
@shared_task(name="trust.customer_export", soft_time_limit=600, time_limit=660)
def customer_export(request_id: int) -> None:
    _run(request_id, DataRequest.Kind.EXPORT)


@shared_task(name="trust.customer_erase", soft_time_limit=600, time_limit=660)
def customer_erase(request_id: int) -> None:
    _run(request_id, DataRequest.Kind.ERASE)


@shared_task(name="trust.retention_sweep", soft_time_limit=1800, time_limit=1900)
def retention_sweep() -> None:
    retention.retention_sweep()
