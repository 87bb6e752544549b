"""Delivery counters follow the state machine: sent, retried and failed sends."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from conversations import services

pytestmark = pytest.mark.django_db(transaction=True)


def count(outcome: str) -> float:
    return REGISTRY.get_sample_value("msp_deliveries_total", {"outcome": outcome}) or 0


def attempts_observed() -> float:
    return REGISTRY.get_sample_value("msp_delivery_attempts_count") or 0


def test_a_send_that_goes_through_after_two_retries_counts_once_as_sent(
    conversation, agent, apple_gateway
) -> None:
    before = {o: count(o) for o in ("sent", "retry", "failed")}
    observed = attempts_observed()
    apple_gateway.fail_next(2, status=503)
    services.message_send(conversation=conversation, sender=agent, text="Hi")
    assert count("sent") - before["sent"] == 1
    assert count("retry") - before["retry"] == 2
    assert count("failed") == before["failed"]
    assert attempts_observed() - observed == 1


def test_a_refused_send_counts_as_failed_not_sent(
    conversation, agent, apple_gateway
) -> None:
    before = {o: count(o) for o in ("sent", "failed")}
    apple_gateway.fail_next(1, status=400, body='{"error": "bad destination"}')
    services.message_send(conversation=conversation, sender=agent, text="Hi")
    # The task ends normally on a permanent refusal: only the state says failed.
    assert count("failed") - before["failed"] == 1
    assert count("sent") == before["sent"]
