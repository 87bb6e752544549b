"""Prometheus metrics: what an operator of many businesses watches.

prometheus-client directly rather than django-prometheus: the numbers that matter
here are few and specific (webhooks by answer, inbound time, deliveries, queue
depth, open sockets), and per-view request histograms would only add cardinality.
Web processes share one PROMETHEUS_MULTIPROC_DIR (set by `make serve`), so any
process answers for all of them.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Iterator
from typing import Any

from celery import signals
from django.conf import settings
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from conversations import events

WEBHOOKS = Counter(
    "msp_webhooks_total", "Apple's inbound webhooks by answer code", ["code"]
)
INBOUND_SECONDS = Histogram(
    "msp_inbound_seconds",
    "Time to answer one inbound webhook",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
DELIVERIES = Counter(
    "msp_deliveries_total",
    "Outbound delivery task runs by outcome (sent, retry, failed, paused)",
    ["outcome"],
)
DELIVERY_ATTEMPTS = Histogram(
    "msp_delivery_attempts",
    "Attempts a delivery took until it was sent or given up",
    buckets=(1, 2, 3, 4, 5, 6, 7, 8, 9),
)
AGENT_SOCKETS = Gauge(
    "msp_agent_sockets", "Open agent WebSockets", multiprocess_mode="livesum"
)


class QueueDepthCollector(Collector):
    """Tasks waiting in the Celery queue, read from Redis at scrape time."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "msp_celery_queue_depth",
            "Tasks waiting in a Celery queue",
            labels=["queue"],
        )
        broker = settings.CELERY_BROKER_URL
        if broker.startswith("redis"):
            import redis

            queue = settings.CELERY_TASK_DEFAULT_QUEUE
            client = redis.Redis.from_url(broker, socket_timeout=2)
            try:
                # Kombu keeps one list per priority step: "celery", "celery\x06\x163", …
                keys = [queue, *(f"{queue}\x06\x16{step}" for step in (3, 6, 9))]
                family.add_metric([queue], sum(client.llen(key) for key in keys))
            except redis.RedisError:
                pass
            finally:
                client.close()
        yield family


def registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        collected = CollectorRegistry()
        multiprocess.MultiProcessCollector(collected)
    else:
        collected = REGISTRY
    return collected


_QUEUE_DEPTH = QueueDepthCollector()


def allowed(*, authorization: str, client_ip: str) -> bool:
    token = settings.METRICS_TOKEN
    if token and secrets.compare_digest(
        authorization.encode(), f"Bearer {token}".encode()
    ):
        return True
    try:
        client = ipaddress.ip_address(client_ip)
    except ValueError:
        return False
    return any(
        client in ipaddress.ip_network(network, strict=False)
        for network in settings.METRICS_ALLOWED_IPS
    )


def render() -> bytes:
    collected = registry()
    collected.register(_QUEUE_DEPTH)
    try:
        return generate_latest(collected)
    finally:
        collected.unregister(_QUEUE_DEPTH)


# Deliveries, counted where they happen (the worker) from the core's own
# events: the state machine says what became of a send, which a task's
# success or failure cannot (a permanent refusal ends the task normally).
def _delivery_status_changed(event: events.MessageStatusChanged) -> None:
    if event.status == "sent":
        DELIVERIES.labels("sent").inc()
        DELIVERY_ATTEMPTS.observe(event.attempts)
    elif event.status == "failed":
        DELIVERIES.labels("failed").inc()
        DELIVERY_ATTEMPTS.observe(event.attempts)
    elif event.status == "paused":
        # Out of retry window: it holds its conversation until an agent acts.
        DELIVERIES.labels("paused").inc()
    elif event.status == "pending" and event.attempts and event.error:
        DELIVERIES.labels("retry").inc()


events.subscribe(events.MessageStatusChanged, _delivery_status_changed)


@signals.worker_init.connect
def _worker_metrics_server(**kwargs: Any) -> None:
    # A worker on its own machine has no web process to answer for it.
    port = os.environ.get("WORKER_METRICS_PORT")
    if port:
        from prometheus_client import start_http_server

        start_http_server(
            int(port),
            addr=os.environ.get("WORKER_METRICS_ADDR", "127.0.0.1"),
            registry=registry(),
        )
