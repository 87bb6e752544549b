"""Delivery and live sockets recover from worker, broker and Redis faults
(issue 14, items 6-8 and 11), with real processes: Daphne, a Celery worker and
beat, PostgreSQL, and a Redis of this module's own that it stops and starts.

Bounds are generous (these check correctness: every message sent, once per
Apple id, in order); bench/recovery.py prints the figures with production's
sweep settings. Here beat sweeps every 2 s and a pending message counts as lost
after 10 s, so the module stays quick; the 30 s send claim is production's.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests import recovery
from tests.gateway_stand_in import GatewayStandIn
from tests.live import MSP_ID, MSP_SECRET, LiveStack, RedisServer, live_stack
from tests.live import redis_server as start_redis_server
from tests.socket_recovery import CLOSE_LAYER_UNAVAILABLE, socket_after_redis_restart

pytestmark = pytest.mark.e2e

BOUND_SECONDS = 60


@pytest.fixture(scope="module")
def redis() -> Iterator[RedisServer]:
    with start_redis_server() as server:
        yield server


@pytest.fixture(scope="module")
def gateway() -> Iterator[GatewayStandIn]:
    stand_in = GatewayStandIn(msp_id=MSP_ID, secret_b64=MSP_SECRET).start()
    yield stand_in
    stand_in.stop()


@pytest.fixture(scope="module")
def stack(gateway: GatewayStandIn, redis: RedisServer) -> Iterator[LiveStack]:
    with live_stack(
        gateway_url=gateway.url,
        name="recovery",
        beat=True,
        extra_env={
            "REDIS_URL": redis.url(),
            "MESSAGE_SWEEP_SECONDS": "2",
            "MESSAGE_OVERDUE_SECONDS": "10",
        },
    ) as running:
        yield running


def check(result: recovery.Recovery) -> None:
    assert result.statuses == {"sent": result.messages}, result.line()
    assert not result.missing, result.line()
    assert not result.out_of_order, result.line()
    # Only a call the dead worker had in flight may reach Apple twice, with the
    # same id (Apple drops the repeat).
    assert result.repeated <= result.in_flight, result.line()
    assert result.seconds <= BOUND_SECONDS, result.line()


def test_sends_in_flight_when_the_worker_is_killed_go_out_once_more(stack, gateway):
    result = recovery.worker_killed_mid_send(stack, gateway)
    check(result)
    assert result.in_flight, "nothing was in flight at the kill"
    assert set(result.api_statuses) == {201}


def test_retries_waiting_in_a_killed_worker_are_sent_by_the_next(stack, gateway):
    result = recovery.worker_killed_during_retry_wait(stack, gateway)
    check(result)
    assert not result.repeated


def test_broker_down_at_enqueue_accepts_and_later_sends(stack, gateway, redis):
    result = recovery.broker_down_at_enqueue(stack, gateway, redis)
    # The API takes messages while Redis is away: 201, quickly, never a 500.
    assert result.api_statuses == {201: result.messages - 1}, result.line()
    assert result.api_slowest < 5, result.line()
    check(result)
    # A send was in flight when the broker went: that worker reconnected.
    assert result.worker_alive, result.line()


def test_agent_sockets_come_back_within_seconds_of_a_redis_restart(stack, redis):
    result = socket_after_redis_restart(stack, redis)
    assert result.open_socket_close_code == CLOSE_LAYER_UNAVAILABLE, result.line()
    assert result.handshake_statuses.get("closed 4503"), result.line()
    assert not [s for s in result.handshake_statuses if s.startswith("5")], (
        result.line()
    )
    assert result.seconds <= 5, result.line()
