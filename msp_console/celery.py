"""The Celery app; configuration comes from Django settings under CELERY_."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from celery import Celery, Task
from django.utils.module_loading import import_string

from msp_console.env import load_dotenv

load_dotenv()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "msp_console.settings")

app = Celery("msp_console")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Delivery counters hang on Celery's signals (and serve WORKER_METRICS_PORT).
from msp_console import metrics  # noqa: E402, F401


def final_failure_handler(service_path: str, id_name: str) -> Callable[..., None]:
    """An ``on_failure`` hook: after the last retry, hand the row to a service that
    marks it failed with the reason (HackSoft's on_failure pattern).

    ``service_path`` is imported when the hook runs, so wiring never imports
    models; the service takes ``<id_name>=`` and ``reason=``.
    """

    def on_failure(
        self: Task, exc: Exception, task_id: str, args: tuple, kwargs: dict, einfo: Any
    ) -> None:
        row_id = kwargs.get(id_name, args[0] if args else None)
        if row_id is not None:
            mark_failed = import_string(service_path)
            mark_failed(**{id_name: row_id, "reason": str(exc) or type(exc).__name__})

    return on_failure
