"""Outbound benchmark: API -> PostgreSQL -> Celery worker -> Apple's gateway.

What it measures
----------------
A real stack in production settings (bench/stacks.py: DEBUG off, Daphne, a
Celery worker with ``--concurrency`` threads, PostgreSQL, Redis) sends to a local stand-in of Apple's gateway that
answers every call after ``--gateway-ms`` milliseconds. ``--conversations``
customers write first (so each has a conversation), then ``--messages`` texts
are posted through ``POST /api/v1/conversations/<id>/messages/``, round-robin
over the conversations, from ``--clients`` concurrent API clients.

* accepted/s: API answers 201 per second.
* sent/s: the worker's delivery rate. With ``--hold`` (the default) the worker
  stops consuming while the API accepts, so the backlog is all there when it
  resumes and sent/s is 1,000 / (last message at the gateway - resume): the
  delivery pipeline alone, whatever the API's speed. ``--no-hold`` measures
  from the first API call instead.
* bound: what the worker could do if it did nothing but wait for Apple:
  concurrency / gateway delay. sent/s divided by the bound is the figure to
  keep high (target >= 0.8).
* order: every conversation's messages reached the gateway in the order the
  API accepted them; once: no message reached it twice.

Exit status: 0 when every message was sent once and in order, 1 otherwise,
2 when the stack would not start.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from collections import Counter, defaultdict
from contextlib import ExitStack
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.profiling import profile_start, profile_stop  # noqa: E402
from bench.stacks import BenchStack, bench_stack  # noqa: E402
from tests.gateway_stand_in import GatewayStandIn  # noqa: E402
from tests.helpers import inbound_body, inbound_request  # noqa: E402
from tests.live import MSP_ID, MSP_SECRET  # noqa: E402
from tests.msp_console.stack import PROXY_HEADERS  # noqa: E402

PHASE_SECONDS = 900.0


def log(text: str) -> None:
    print(f"[bench] {text}", file=sys.stderr, flush=True)


def open_conversations(stack: BenchStack, count: int) -> list[int]:
    """Each customer writes once; returns their conversation ids."""
    from bench.inbound import bearer

    authorization = bearer()
    run = uuid.uuid4().hex[:8]
    with httpx.Client(
        base_url=stack.base_url, timeout=30, headers=PROXY_HEADERS
    ) as client:
        for n in range(count):
            body = inbound_body(
                business_id=stack.business_apple_id,
                customer_id=f"urn:mbid:AQAAY-out-{run}-{n:04d}",
                body="Hello",
            )
            content, headers = inbound_request(body, authorization=authorization)
            response = client.post("/message", content=content, headers=headers)
            response.raise_for_status()
        ids: list[int] = []
        url: str | None = (
            f"/api/v1/conversations/?limit=100&business={stack.business_apple_id}"
        )
        auth = {"Authorization": f"Token {stack.agent_token}"}
        while url and len(ids) < count:
            page = client.get(url, headers=auth).json()
            results = page["results"] if isinstance(page, dict) else page
            ids += [c["id"] for c in results]
            following = page.get("next") if isinstance(page, dict) else None
            # Behind the TLS proxy the link says https://; the client speaks
            # plain HTTP to the server, as the proxy does.
            url = httpx.URL(following).raw_path.decode() if following else None
        return ids[:count]


async def send_all(
    stack: BenchStack, conversations: list[int], messages: int, clients: int
) -> tuple[float, list[tuple[int, str]], Counter[str]]:
    """Post the texts; returns the accept time, (conversation, text) in the
    order the API accepted them within each conversation, and the statuses."""
    queue: asyncio.Queue[tuple[int, str]] = asyncio.Queue()
    for n in range(messages):
        conversation = conversations[n % len(conversations)]
        queue.put_nowait((conversation, f"out {n // len(conversations):04d}"))
    accepted: list[tuple[int, str]] = []
    statuses: Counter[str] = Counter()
    # One client per conversation at a time keeps each conversation's order
    # the order of its texts, as one agent typing would.
    locks: dict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
    headers = {"Authorization": f"Token {stack.agent_token}"}

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            conversation, text = queue.get_nowait()
            async with locks[conversation]:
                response = await client.post(
                    f"/api/v1/conversations/{conversation}/messages/",
                    json={"text": text},
                    headers=headers,
                )
                statuses[str(response.status_code)] += 1
                if response.status_code == 201:
                    accepted.append((conversation, text))

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(
        base_url=stack.base_url, limits=limits, timeout=60, headers=PROXY_HEADERS
    ) as client:
        started = time.perf_counter()
        await asyncio.wait_for(
            asyncio.gather(*(worker(client) for _ in range(clients))),
            timeout=PHASE_SECONDS,
        )
        return time.perf_counter() - started, accepted, statuses


def destination_of(stack: BenchStack, conversations: list[int]) -> dict[str, int]:
    with httpx.Client(
        base_url=stack.base_url, timeout=30, headers=PROXY_HEADERS
    ) as client:
        auth = {"Authorization": f"Token {stack.agent_token}"}
        return {
            client.get(f"/api/v1/conversations/{c}/", headers=auth).json()["customer"][
                "apple_id"
            ]: c
            for c in conversations
        }


def consuming(stack: BenchStack, on: bool) -> None:
    """Start or stop the stack's worker consuming its queue (Celery remote control)."""
    from celery import Celery

    app = Celery(broker=stack.env["REDIS_URL"])
    queue = stack.env["CELERY_QUEUE"]
    if on:
        app.control.add_consumer(queue, reply=True, timeout=5)
    else:
        app.control.cancel_consumer(queue, reply=True, timeout=5)


def measure(
    stack: BenchStack, gateway: GatewayStandIn, args: argparse.Namespace
) -> int:
    log(f"opening {args.conversations} conversations")
    conversations = open_conversations(stack, args.conversations)
    customer_of = destination_of(stack, conversations)
    time.sleep(2)  # the greetings and routing of the new conversations settle
    with gateway.lock:
        gateway.received.clear()
    if args.hold:
        consuming(stack, on=False)
    log(f"sending {args.messages} texts from {args.clients} API clients")
    started = time.perf_counter()
    accept_seconds, accepted, statuses = asyncio.run(
        send_all(stack, conversations, args.messages, args.clients)
    )
    profilers = (
        profile_start([stack.processes["worker"].pid], args.profile)
        if args.profile
        else []
    )
    if args.hold:
        log("backlog queued; the worker resumes")
        started = time.perf_counter()
        consuming(stack, on=True)
    deadline = time.monotonic() + args.timeout + args.messages * args.gateway_ms / 1000
    last_count, last_change = 0, time.perf_counter()
    while time.monotonic() < deadline:
        count = len(gateway.messages())
        if count != last_count:
            last_count, last_change = count, time.perf_counter()
        if count >= len(accepted):
            break
        time.sleep(0.05)
    sent_seconds = last_change - started
    profile_stop(profilers)
    received = gateway.messages()

    per_conversation: dict[int, list[str]] = defaultdict(list)
    for item in received:
        per_conversation[customer_of[item.headers["destination-id"]]].append(
            item.body["body"]
        )
    expected: dict[int, list[str]] = defaultdict(list)
    for conversation, text in accepted:
        expected[conversation].append(text)
    out_of_order = sum(
        1 for c, texts in expected.items() if per_conversation.get(c) != texts
    )
    ids = Counter(item.headers["id"] for item in received)
    duplicates = sum(n - 1 for n in ids.values() if n > 1)
    bound = args.concurrency / (args.gateway_ms / 1000)
    sent_rate = len(received) / sent_seconds if sent_seconds else 0.0

    print("outbound benchmark")
    print(
        f"  messages              {args.messages} over {len(conversations)} conversations"
    )
    print(
        f"  worker                {args.concurrency} threads; gateway answers after {args.gateway_ms} ms"
    )
    print(f"  API statuses          {dict(sorted(statuses.items()))}")
    print(f"  accepted/s            {len(accepted) / accept_seconds:.1f}")
    print(
        f"  sent/s                {sent_rate:.1f} ({len(received)} reached the gateway in {sent_seconds:.1f} s)"
    )
    print(f"  bound                 {bound:.1f} sends/s (concurrency / gateway delay)")
    print(f"  sent / bound          {sent_rate / bound:.2f}   (target >= 0.80)")
    print(f"  out of order          {out_of_order} conversations")
    print(f"  duplicates            {duplicates}")
    print(f"  missing               {len(accepted) - len(set(ids))}")
    ok = (
        statuses.get("201") == args.messages
        and not out_of_order
        and not duplicates
        and len(set(ids)) == len(accepted)
    )
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--gateway-ms", type=float, default=50.0)
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument(
        "--hold",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="let the backlog build before the worker sends (see the docstring)",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        help="sample the worker with py-spy into PATH.<pid>.txt while it sends",
    )
    args = parser.parse_args(argv)
    gateway = GatewayStandIn(msp_id=MSP_ID, secret_b64=MSP_SECRET)
    gateway.delay = args.gateway_ms / 1000
    gateway.start()
    log("starting PostgreSQL database, Daphne and a Celery worker")
    with ExitStack() as cleanup:
        cleanup.callback(gateway.stop)
        try:
            stack = cleanup.enter_context(
                bench_stack(
                    gateway_url=gateway.url,
                    name="outbound",
                    worker_concurrency=args.concurrency,
                    # A bot sending 1,000 messages is what the limit is for;
                    # the benchmark measures delivery, not the throttle.
                    extra_env={"API_WRITE_RATE": "100000/min"},
                )
            )
        except RuntimeError as exc:
            log(f"the stack did not start: {exc}")
            return 2
        log(f"stack up at {stack.base_url}")
        return measure(stack, gateway, args)


if __name__ == "__main__":
    sys.exit(main())
