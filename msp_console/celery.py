"""The Celery app; configuration comes from Django settings under CELERY_."""

from __future__ import annotations

import os

from celery import Celery

from msp_console.env import load_dotenv

load_dotenv()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "msp_console.settings")

app = Celery("msp_console")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Delivery counters hang on Celery's signals (and serve WORKER_METRICS_PORT).
from msp_console import metrics  # noqa: E402, F401
