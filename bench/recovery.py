"""Recovery benchmark: how long outbound delivery and live sockets take to come
back after a fault (issue 14, items 6-8 and 11).

What it measures
----------------
A real stack (tests/live.py: Daphne, a Celery worker, Celery beat, PostgreSQL)
on a Redis of its own (started here, so it can be stopped without touching a
shared one) sends to a local stand-in of Apple's gateway. Every scenario posts
``--per-conversation`` texts to each of ``--conversations`` conversations:

* worker killed mid-send (item 6): the gateway answers after 1.5 s; SIGKILL the
  worker while calls are in flight, start a new one at once. Seconds from the
  kill until every row is ``sent``.
* worker killed while retries wait (item 7): the gateway answers 503 once per
  conversation; SIGKILL the worker while it holds the retry countdowns, start a
  new one. Seconds from the kill until every row is ``sent``.
* broker down at enqueue (item 8): Redis is stopped while the API accepts the
  texts (each must answer 201), then started again, empty. Seconds from Redis
  being back until every row is ``sent``.
* socket after a Redis restart (item 11): an agent's socket is open; Redis is
  killed and started 2 s later. Seconds from Redis being back until a new socket
  says hello and a push made then reaches it; handshakes answering 500 counted.

Each delivery scenario also checks order within every conversation and that no
Apple id reached the gateway twice except those in flight at the kill (the dead
worker's call may have landed; the resend has the same id, which Apple
de-duplicates). Sweep interval and overdue threshold are production's defaults
(10 s, 60 s) unless given.

Before (issue 14, as filed): 128 s, 605 s, 611 s, ~35 s.

Exit status: 0 when every scenario recovered with order and ids intact.
"""

from __future__ import annotations

import argparse
import sys
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests import recovery  # noqa: E402
from tests.gateway_stand_in import GatewayStandIn  # noqa: E402
from tests.live import MSP_ID, MSP_SECRET, live_stack, redis_server  # noqa: E402
from tests.socket_recovery import socket_after_redis_restart  # noqa: E402

BEFORE = {
    "worker killed mid-send": "128 s",
    "worker killed while retries wait": "605 s",
    "broker down at enqueue": "611 s",
    "socket after a Redis restart": "~35 s",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=4)
    parser.add_argument("--per-conversation", type=int, default=2)
    parser.add_argument("--sweep-seconds", type=int, default=10)
    parser.add_argument("--overdue-seconds", type=int, default=60)
    args = parser.parse_args()
    sizes = {
        "conversations": args.conversations,
        "per_conversation": args.per_conversation,
    }
    with ExitStack() as stack:
        redis = stack.enter_context(redis_server())
        gateway = GatewayStandIn(msp_id=MSP_ID, secret_b64=MSP_SECRET).start()
        stack.callback(gateway.stop)
        live = stack.enter_context(
            live_stack(
                gateway_url=gateway.url,
                name="bench-recovery",
                beat=True,
                extra_env={
                    "REDIS_URL": redis.url(),
                    "MESSAGE_SWEEP_SECONDS": str(args.sweep_seconds),
                    "MESSAGE_OVERDUE_SECONDS": str(args.overdue_seconds),
                },
            )
        )
        print(
            f"sweep every {args.sweep_seconds} s, overdue after "
            f"{args.overdue_seconds} s, send claim 30 s",
            flush=True,
        )
        results = [
            recovery.worker_killed_mid_send(live, gateway, **sizes),
            recovery.worker_killed_during_retry_wait(live, gateway, **sizes),
            recovery.broker_down_at_enqueue(live, gateway, redis, **sizes),
        ]
        for result in results:
            print(result.line(), flush=True)
        socket = socket_after_redis_restart(live, redis)
        print(socket.line(), flush=True)
    print()
    print(f"{'scenario':36} {'before':>8} {'after':>8}")
    for result in results:
        print(
            f"{result.scenario:36} {BEFORE[result.scenario]:>8} {result.seconds:7.1f}s"
        )
    print(f"{socket.scenario:36} {BEFORE[socket.scenario]:>8} {socket.seconds:7.1f}s")
    ok = all(r.ok and set(r.api_statuses) == {201} for r in results) and socket.ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
