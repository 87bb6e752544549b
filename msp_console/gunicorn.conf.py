"""Gunicorn for `make serve`: Uvicorn workers (HTTP and WebSockets), one per core
unless WEB_CONCURRENCY says otherwise. See README "Deploying" for the measurements
behind choosing it over Daphne."""

from __future__ import annotations

import multiprocessing
import os
from typing import Any

bind = f"{os.environ.get('BIND_ADDRESS', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"  # noqa: S104
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count())
worker_class = "uvicorn_worker.UvicornWorker"
# Longer than the slowest request; agent sockets are not bound by it.
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))
graceful_timeout = 20
keepalive = 5
# The app logs each request itself (msp_console.access) with its request id.
accesslog = None
# X-Forwarded-For/-Proto are honoured only behind the TLS proxy that
# TRUSTED_PROXY=True declares (and that alone can reach this port).
_trusted_proxy = os.environ.get("TRUSTED_PROXY", "").lower() in (
    "true",
    "1",
    "yes",
    "on",
)
forwarded_allow_ips = os.environ.get(
    "FORWARDED_ALLOW_IPS", "*" if _trusted_proxy else ""
)


def child_exit(server: Any, worker: Any) -> None:
    # A dead worker's open-socket gauge must stop counting.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


# Gunicorn's own lines (start, workers booting and dying) in the same JSON as
# the app's, so one log pipeline reads every line of a web machine.
if os.environ.get("LOG_FORMAT", "json") == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
                "rename_fields": {
                    "asctime": "time",
                    "levelname": "level",
                    "name": "logger",
                },
            }
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            "gunicorn.error": {
                "level": "INFO",
                "handlers": ["console"],
                "propagate": False,
            },
            "gunicorn.access": {"level": "WARNING", "propagate": False},
        },
        "root": {"level": "INFO", "handlers": []},
    }

# Several servers may run on one machine (two in the multi-instance test); the
# shared default control socket path would collide, and nothing here uses it.
control_socket_disable = True
