"""Webhook -> agent socket latency at a steady pace, and the web process's memory.

What it measures
----------------
A real stack in production settings (bench/stacks.py: DEBUG off, `make
serve`'s Gunicorn with ``--processes`` Uvicorn workers by default, or one
Daphne process with ``--server daphne``; a
Celery worker, PostgreSQL, Redis) with ``--sockets`` agents of the business
connected to ``/ws/console/``.

* latency: signed webhooks are sent at a fixed ``--rate`` per second for
  ``--seconds`` (each on its own schedule, so a slow answer does not slow the
  pace); for every message and every socket, the time from sending the webhook
  to reading its ``message.created`` frame. p50, p99 and max over all of them
  (targets: p99 <= 25 ms, max <= 100 ms), lost (a socket never got it) and
  duplicated (a socket got it twice).
* memory (``--memory N``): the server process's resident memory after N/10 and
  after N more webhooks at full speed (target: growth <= 10 %).

Exit status: 0 when nothing was lost or duplicated, 1 otherwise, 2 when the stack
would not start.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import sys
import time
import uuid
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

from websockets.exceptions import ConnectionClosed

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.http_client import Client  # noqa: E402
from bench.inbound import (  # noqa: E402
    CUSTOMERS,
    GATEWAY_URL,
    build_webhooks,
    percentile,
    send_all,
)
from bench.stacks import SERVERS, BenchStack, bench_stack  # noqa: E402


def log(text: str) -> None:
    print(f"[bench] {text}", file=sys.stderr, flush=True)


async def _listen(
    url: str, headers: dict[str, str], count: int, ready, stop
) -> list[tuple[dict[str, float], dict[str, int]]]:
    """``count`` agent sockets in one event loop: for each, when every
    message.created frame arrived, and the frames that came twice."""
    from websockets.asyncio.client import connect as connect_async

    sockets = []
    for _ in range(count):
        ws = await connect_async(
            url, additional_headers=headers, open_timeout=10, max_queue=None
        )
        hello = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if hello.get("type") != "hello":
            raise RuntimeError(f"first frame was not hello: {hello}")
        sockets.append(ws)
    ready.set()

    async def read(ws) -> tuple[dict[str, float], dict[str, int]]:
        seen: dict[str, float] = {}
        repeats: Counter[str] = Counter()
        try:
            async for frame in ws:
                now = time.perf_counter()
                event = json.loads(frame)
                apple_id = (event.get("data") or {}).get("apple_id")
                if event.get("type") == "message.created" and apple_id:
                    if apple_id in seen:
                        repeats[apple_id] += 1
                    else:
                        seen[apple_id] = now
        except ConnectionClosed:
            pass
        return seen, dict(repeats)

    readers = [asyncio.create_task(read(ws)) for ws in sockets]
    await asyncio.to_thread(stop.wait)
    for ws in sockets:
        await ws.close()
    return list(await asyncio.gather(*readers))


def _listener_process(url, headers, count, ready, stop, results) -> None:
    results.put(asyncio.run(_listen(url, headers, count, ready, stop)))


class Listeners:
    """The agent sockets, read in a process of their own.

    Read from threads of the process that also paces the webhooks, ten
    sockets saturated the client's core at 100 webhooks/s (1,000 frames/s)
    while the server idled at a third of one: the benchmark measured itself.
    One event loop in its own process reads them at a few percent of a core.
    Receive times are ``time.perf_counter()``, CLOCK_MONOTONIC on Linux, the
    same clock in every process.
    """

    def __init__(self, stack: BenchStack, cookie: str, count: int) -> None:
        context = multiprocessing.get_context("spawn")
        self.ready = context.Event()
        self.stop_event = context.Event()
        self.results = context.Queue()
        url = stack.base_url.replace("http", "ws", 1) + "/ws/console/"
        headers = {"Cookie": cookie, "Origin": stack.base_url}
        self.process = context.Process(
            target=_listener_process,
            args=(url, headers, count, self.ready, self.stop_event, self.results),
            daemon=True,
        )

    def start(self) -> None:
        self.process.start()
        if not self.ready.wait(60):
            raise RuntimeError("the agent sockets did not open")

    def stop(self) -> list[tuple[dict[str, float], dict[str, int]]]:
        self.stop_event.set()
        results = self.results.get(timeout=60)
        self.process.join(timeout=10)
        return results


async def paced(base_url: str, webhooks: list, rate: float) -> dict[str, float]:
    """Send each webhook at its own time: start + n / rate."""
    sent_at: dict[str, float] = {}
    statuses: Counter[str] = Counter()
    client = Client(base_url)
    start = time.perf_counter()

    async def one(n: int, webhook) -> None:
        await asyncio.sleep(max(0.0, start + n / rate - time.perf_counter()))
        sent_at[webhook.message_id] = time.perf_counter()
        try:
            status = await client.post("/message", webhook.content, webhook.headers)
        except (OSError, ValueError) as exc:
            statuses[type(exc).__name__] += 1
            return
        statuses[str(status)] += 1

    try:
        await asyncio.gather(*(one(n, w) for n, w in enumerate(webhooks)))
    finally:
        client.close()
    if set(statuses) != {"200"}:
        log(f"unexpected answers: {dict(statuses)}")
    return sent_at


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def measure_latency(stack: BenchStack, args: argparse.Namespace) -> int:
    # Each socket is an agent of the business (the same account, several tabs:
    # what matters is the fan-out to every socket).
    cookie = stack.agent_cookie()
    listeners = Listeners(stack, cookie, args.sockets)
    listeners.start()
    sockets: list[tuple[dict[str, float], dict[str, int]]] = []
    try:
        # 200 known customers, as in bench/inbound.py: the warm-up is each
        # one's first message (a new conversation, routed).
        customers = f"paced-{uuid.uuid4().hex[:8]}"
        warm = build_webhooks(
            stack, CUSTOMERS, label="warm-latency", customers=customers
        )
        asyncio.run(paced(stack.base_url, warm, min(args.rate, 50.0)))
        time.sleep(2)  # routing of the new conversations settles
        count = int(args.rate * args.seconds)
        log(f"{count} webhooks at {args.rate:g}/s to {args.sockets} sockets")
        webhooks = build_webhooks(stack, count, label="paced", customers=customers)
        sent_at = asyncio.run(paced(stack.base_url, webhooks, args.rate))
        time.sleep(args.timeout)
    finally:
        sockets = listeners.stop()
    latencies: list[float] = []
    lost = duplicated = 0
    for seen, repeats in sockets:
        for message_id, sent in sent_at.items():
            received = seen.get(message_id)
            if received is None:
                lost += 1
            else:
                latencies.append((received - sent) * 1000)
        duplicated += sum(
            n for message_id, n in repeats.items() if message_id in sent_at
        )
    latencies.sort()
    print("webhook -> agent socket latency")
    print(f"  pace                  {args.rate:g} webhooks/s for {args.seconds:g} s")
    print(f"  sockets               {args.sockets}")
    print(
        "  latency ms            "
        f"p50 {percentile(latencies, 50):.1f}  p95 {percentile(latencies, 95):.1f}  "
        f"p99 {percentile(latencies, 99):.1f}  max {percentile(latencies, 100):.1f}"
        "   (targets: p99 <= 25, max <= 100)"
    )
    print(f"  lost                  {lost}")
    print(f"  duplicated            {duplicated}")
    return 0 if not (lost or duplicated) else 1


def measure_memory(stack: BenchStack, args: argparse.Namespace) -> int:
    pids = stack.web_pids()
    first = max(args.memory // 10, 100)
    log(f"memory: {first} webhooks, then {args.memory} more")
    asyncio.run(
        send_all(stack.base_url, build_webhooks(stack, first, label="mem1"), 16, 200)
    )
    before = sum(rss_kb(pid) for pid in pids)
    done = 0
    while done < args.memory:
        batch = min(2000, args.memory - done)
        asyncio.run(
            send_all(
                stack.base_url,
                build_webhooks(stack, batch, label=f"mem{done}"),
                16,
                200,
            )
        )
        done += batch
    after = sum(rss_kb(pid) for pid in pids)
    growth = (after - before) / before * 100 if before else float("nan")
    print(f"web process memory ({len(pids)} process(es), resident set)")
    print(f"  after {first:>6} messages  {before / 1024:.1f} MB")
    print(f"  after {first + args.memory:>6} messages  {after / 1024:.1f} MB")
    print(f"  growth                {growth:+.1f} %   (target <= 10 %)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=150.0)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--sockets", type=int, default=10)
    parser.add_argument(
        "--timeout", type=float, default=5.0, help="seconds to wait for late pushes"
    )
    parser.add_argument(
        "--memory",
        type=int,
        default=0,
        help="also measure memory over this many webhooks (e.g. 18000)",
    )
    # What production runs: `make serve`, one web process per core.
    parser.add_argument("--server", choices=SERVERS, default="serve")
    parser.add_argument(
        "--processes",
        type=int,
        default=os.cpu_count() or 1,
        help="web processes for --server serve (make serve's default: one per core)",
    )
    args = parser.parse_args(argv)
    with ExitStack() as cleanup:
        try:
            stack = cleanup.enter_context(
                bench_stack(
                    name="latency",
                    server=args.server,
                    processes=args.processes if args.server == "serve" else 1,
                    gateway_url=GATEWAY_URL,
                )
            )
        except RuntimeError as exc:
            log(f"the stack did not start: {exc}")
            return 2
        status = measure_latency(stack, args)
        if args.memory:
            status |= measure_memory(stack, args)
        return status


if __name__ == "__main__":
    sys.exit(main())
