"""Fault scenarios for outbound delivery against real processes (issue 14, items
6-8): kill the worker mid-send, kill it while retries wait, stop the broker while
the API accepts messages. Each returns how long delivery took to recover and
whether every message reached the gateway once per Apple id, in order.

Shared by the end-to-end tests (tests/e2e/test_recovery_e2e.py, with a generous
bound) and the benchmark (bench/recovery.py, which prints the figures).
"""

from __future__ import annotations

import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import psycopg

from tests.gateway_stand_in import GatewayStandIn
from tests.helpers import inbound_body, inbound_request
from tests.live import LiveStack, RedisServer, apple_bearer


@dataclass
class Recovery:
    scenario: str
    seconds: float
    messages: int
    statuses: dict[str, int]
    api_statuses: dict[int, int] = field(default_factory=dict)
    api_slowest: float = 0.0
    # Apple ids the gateway saw more than once, and the ones in flight at the fault
    # (only those may repeat: the dead worker's call may or may not have landed).
    repeated: set[str] = field(default_factory=set)
    in_flight: set[str] = field(default_factory=set)
    out_of_order: list[int] = field(default_factory=list)
    missing: set[str] = field(default_factory=set)
    # The worker that lived through the fault is still running (a broker outage
    # must not end it).
    worker_alive: bool = True

    @property
    def ok(self) -> bool:
        return (
            self.worker_alive
            and self.statuses == {"sent": self.messages}
            and not self.missing
            and not self.out_of_order
            and self.repeated <= self.in_flight
        )

    def line(self) -> str:
        return (
            f"{self.scenario}: recovered in {self.seconds:.1f} s, "
            f"{self.messages} messages {self.statuses}, "
            f"repeated ids {len(self.repeated)} (in flight {len(self.in_flight)}), "
            f"out of order {len(self.out_of_order)}, missing {len(self.missing)}, "
            f"API {self.api_statuses} (slowest {self.api_slowest:.2f} s)"
        )


def wait_for(predicate: Callable[[], Any], seconds: float, step: float = 0.2) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"condition not met in {seconds} s")


def open_conversations(stack: LiveStack, count: int) -> list[tuple[int, str]]:
    """Customers write first; returns (conversation id, customer id) pairs."""
    run = uuid.uuid4().hex[:8]
    customers = [f"urn:mbid:AQAAY-rec-{run}-{n:03d}" for n in range(count)]
    with httpx.Client(base_url=stack.base_url, timeout=15) as client:
        for customer in customers:
            body = inbound_body(
                business_id=stack.business_apple_id, customer_id=customer, body="Hi"
            )
            content, headers = inbound_request(body, authorization=apple_bearer())
            client.post("/message", content=content, headers=headers).raise_for_status()
    with psycopg.connect(stack.env["DATABASE_URL"], autocommit=True) as conn:
        rows = conn.execute(
            "SELECT c.id, cu.apple_id FROM conversations_conversation c"
            " JOIN conversations_customer cu ON cu.id = c.customer_id"
            " WHERE cu.apple_id = ANY(%s)",
            [customers],
        ).fetchall()
    found = {apple_id: pk for pk, apple_id in rows}
    return [(found[c], c) for c in customers]


def post_messages(
    stack: LiveStack, conversations: list[tuple[int, str]], per_conversation: int
) -> tuple[list[tuple[int, str, str]], dict[int, int], float]:
    """Post texts round-robin; returns (message id, Apple id, destination) in the
    order accepted, the count of each API status and the slowest answer's seconds."""
    accepted: list[tuple[int, str, str]] = []
    statuses: dict[int, int] = defaultdict(int)
    slowest = 0.0
    with httpx.Client(
        base_url=stack.base_url,
        headers={"Authorization": f"Token {stack.agent_token}"},
        timeout=30,
    ) as client:
        for n in range(per_conversation):
            for conversation_id, customer in conversations:
                started = time.monotonic()
                response = client.post(
                    f"/api/v1/conversations/{conversation_id}/messages/",
                    json={"text": f"part {n}"},
                )
                slowest = max(slowest, time.monotonic() - started)
                statuses[response.status_code] += 1
                if response.status_code == 201:
                    data = response.json()
                    accepted.append((data["id"], data["apple_id"], customer))
    return accepted, dict(statuses), slowest


def row_statuses(stack: LiveStack, ids: list[int]) -> dict[int, str]:
    with psycopg.connect(stack.env["DATABASE_URL"], autocommit=True) as conn:
        return dict(
            conn.execute(
                "SELECT id, status FROM conversations_message WHERE id = ANY(%s)",
                [ids],
            ).fetchall()
        )


def apple_ids_in(stack: LiveStack, ids: list[int], status: str) -> set[str]:
    with psycopg.connect(stack.env["DATABASE_URL"], autocommit=True) as conn:
        return {
            str(apple_id)
            for (apple_id,) in conn.execute(
                "SELECT apple_id FROM conversations_message"
                " WHERE id = ANY(%s) AND status = %s",
                [ids, status],
            ).fetchall()
        }


def wait_all_sent(stack: LiveStack, ids: list[int], seconds: float) -> float:
    """Seconds (monotonic clock) at which every row was sent."""
    wait_for(
        lambda: set(row_statuses(stack, ids).values()) == {"sent"}, seconds, step=0.1
    )
    return time.monotonic()


def judge(
    scenario: str,
    stack: LiveStack,
    gateway: GatewayStandIn,
    accepted: list[tuple[int, str, str]],
    seconds: float,
    in_flight: set[str] | None = None,
    api_statuses: dict[int, int] | None = None,
    api_slowest: float = 0.0,
) -> Recovery:
    ids = [message_id for message_id, _, _ in accepted]
    ours = {apple_id for _, apple_id, _ in accepted}
    with gateway.lock:
        seen = [r.headers["id"] for r in gateway.received if r.headers["id"] in ours]
    counts: dict[str, int] = defaultdict(int)
    for apple_id in seen:
        counts[apple_id] += 1
    first_seen = list(dict.fromkeys(seen))
    order = {apple_id: n for n, apple_id in enumerate(first_seen)}
    by_customer: dict[str, list[str]] = defaultdict(list)
    for _, apple_id, customer in accepted:
        by_customer[customer].append(apple_id)
    out_of_order = [
        n
        for n, apple_ids in enumerate(by_customer.values())
        if [a for a in sorted(apple_ids, key=lambda a: order.get(a, -1)) if a in order]
        != [a for a in apple_ids if a in order]
    ]
    statuses: dict[str, int] = defaultdict(int)
    for status in row_statuses(stack, ids).values():
        statuses[status] += 1
    return Recovery(
        scenario=scenario,
        seconds=seconds,
        messages=len(accepted),
        statuses=dict(statuses),
        api_statuses=api_statuses or {},
        api_slowest=api_slowest,
        repeated={a for a, c in counts.items() if c > 1},
        in_flight=in_flight or set(),
        out_of_order=out_of_order,
        missing=ours - set(counts),
    )


def worker_killed_mid_send(
    stack: LiveStack,
    gateway: GatewayStandIn,
    *,
    conversations: int = 4,
    per_conversation: int = 2,
    gateway_delay: float = 1.5,
    bound: float = 120,
) -> Recovery:
    """Item 6: SIGKILL the worker while its calls to Apple are in flight; a new
    worker starts at once, as a supervisor would restart it."""
    pairs = open_conversations(stack, conversations)
    gateway.delay = gateway_delay
    try:
        accepted, api_statuses, slowest = post_messages(stack, pairs, per_conversation)
        ids = [message_id for message_id, _, _ in accepted]
        wait_for(lambda: apple_ids_in(stack, ids, "sending"), 30, step=0.05)
        time.sleep(gateway_delay / 3)  # mid-call, not at its start
        in_flight = apple_ids_in(stack, ids, "sending")
        stack.worker_kill()
        killed = time.monotonic()
        stack.worker_start()
        done = wait_all_sent(stack, ids, bound)
    finally:
        gateway.delay = 0
    return judge(
        "worker killed mid-send",
        stack,
        gateway,
        accepted,
        done - killed,
        in_flight,
        api_statuses,
        slowest,
    )


def worker_killed_during_retry_wait(
    stack: LiveStack,
    gateway: GatewayStandIn,
    *,
    conversations: int = 4,
    per_conversation: int = 2,
    bound: float = 150,
) -> Recovery:
    """Item 7: the gateway answers 503, the worker holds the retries' countdowns;
    SIGKILL it while they wait and start a new one."""
    pairs = open_conversations(stack, conversations)
    gateway.fail_next(conversations, 503)
    accepted, api_statuses, slowest = post_messages(stack, pairs, per_conversation)
    ids = [message_id for message_id, _, _ in accepted]
    # Every conversation's first message has failed once and waits for its retry.
    first = ids[:conversations]
    wait_for(
        lambda: (
            all(s == "pending" for s in row_statuses(stack, first).values())
            and len(gateway.rejected) >= conversations
            and not gateway.failures
        ),
        30,
        step=0.05,
    )
    stack.worker_kill()
    killed = time.monotonic()
    stack.worker_start()
    done = wait_all_sent(stack, ids, bound)
    return judge(
        "worker killed while retries wait",
        stack,
        gateway,
        accepted,
        done - killed,
        api_statuses=api_statuses,
        api_slowest=slowest,
    )


def broker_down_at_enqueue(
    stack: LiveStack,
    gateway: GatewayStandIn,
    redis: RedisServer,
    *,
    conversations: int = 4,
    per_conversation: int = 2,
    bound: float = 120,
) -> Recovery:
    """Item 8: Redis (the broker) is down while the API accepts messages; it
    comes back (empty: whatever it held is gone) and delivery resumes. One send
    is in flight when Redis goes, so the worker holds an unacknowledged task."""
    pairs = open_conversations(stack, conversations + 1)
    busy, pairs = pairs[:1], pairs[1:]
    worker = stack.worker
    gateway.delay = 2.0
    try:
        in_flight, _, _ = post_messages(stack, busy, 1)
        wait_for(
            lambda: apple_ids_in(stack, [in_flight[0][0]], "sending"), 30, step=0.05
        )
        redis.stop()
        try:
            accepted, api_statuses, slowest = post_messages(
                stack, pairs, per_conversation
            )
        finally:
            redis.start()
    finally:
        gateway.delay = 0
    back = time.monotonic()
    ids = [message_id for message_id, _, _ in in_flight + accepted]
    done = wait_all_sent(stack, ids, bound)
    result = judge(
        "broker down at enqueue",
        stack,
        gateway,
        in_flight + accepted,
        done - back,
        api_statuses=api_statuses,
        api_slowest=slowest,
    )
    result.worker_alive = worker is not None and worker.poll() is None
    return result
