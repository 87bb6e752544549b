"""Webhook -> agent socket latency at a steady pace, and the web process's memory.

What it measures
----------------
A real stack in production settings (bench/stacks.py: DEBUG off, one Daphne
process or `make serve`'s Gunicorn with ``--processes`` Uvicorn workers, a
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
import sys
import threading
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

import httpx
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.inbound import (  # noqa: E402
    GATEWAY_URL,
    build_webhooks,
    percentile,
    send_all,
)
from bench.stacks import SERVERS, BenchStack, bench_stack  # noqa: E402


def log(text: str) -> None:
    print(f"[bench] {text}", file=sys.stderr, flush=True)


class Listener(threading.Thread):
    """One agent socket; records when each message.created frame arrived."""

    def __init__(self, stack: BenchStack, cookie: str) -> None:
        super().__init__(daemon=True)
        url = stack.base_url.replace("http", "ws", 1) + "/ws/console/"
        self.ws = connect(
            url,
            additional_headers={"Cookie": cookie, "Origin": stack.base_url},
            open_timeout=10,
            max_queue=None,
        )
        hello = json.loads(self.ws.recv(timeout=10))
        if hello.get("type") != "hello":
            raise RuntimeError(f"first frame was not hello: {hello}")
        self.seen: dict[str, float] = {}
        self.repeats: Counter[str] = Counter()
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                frame = self.ws.recv(timeout=0.2)
            except TimeoutError:
                continue
            except ConnectionClosed:
                return
            now = time.perf_counter()
            event = json.loads(frame)
            apple_id = (event.get("data") or {}).get("apple_id")
            if event.get("type") == "message.created" and apple_id:
                if apple_id in self.seen:
                    self.repeats[apple_id] += 1
                else:
                    self.seen[apple_id] = now

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=5)
        self.ws.close()


async def paced(base_url: str, webhooks: list, rate: float) -> dict[str, float]:
    """Send each webhook at its own time: start + n / rate."""
    sent_at: dict[str, float] = {}
    statuses: Counter[str] = Counter()
    async with httpx.AsyncClient(
        base_url=base_url,
        timeout=30,
        limits=httpx.Limits(max_connections=64, max_keepalive_connections=64),
    ) as client:
        start = time.perf_counter()

        async def one(n: int, webhook) -> None:
            await asyncio.sleep(max(0.0, start + n / rate - time.perf_counter()))
            sent_at[webhook.message_id] = time.perf_counter()
            response = await client.post(
                "/message", content=webhook.content, headers=webhook.headers
            )
            statuses[str(response.status_code)] += 1

        await asyncio.gather(*(one(n, w) for n, w in enumerate(webhooks)))
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
    listeners = [Listener(stack, cookie) for _ in range(args.sockets)]
    for listener in listeners:
        listener.start()
    try:
        warm = build_webhooks(stack, 50, label="warm-latency")
        asyncio.run(paced(stack.base_url, warm, args.rate))
        count = int(args.rate * args.seconds)
        log(f"{count} webhooks at {args.rate:g}/s to {args.sockets} sockets")
        webhooks = build_webhooks(stack, count, label="paced")
        sent_at = asyncio.run(paced(stack.base_url, webhooks, args.rate))
        time.sleep(args.timeout)
    finally:
        for listener in listeners:
            listener.stop()
    latencies: list[float] = []
    lost = duplicated = 0
    for listener in listeners:
        for message_id, sent in sent_at.items():
            received = listener.seen.get(message_id)
            if received is None:
                lost += 1
            else:
                latencies.append((received - sent) * 1000)
        duplicated += sum(
            n for message_id, n in listener.repeats.items() if message_id in sent_at
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
    parser.add_argument("--server", choices=SERVERS, default="daphne")
    parser.add_argument(
        "--processes", type=int, default=1, help="web processes for --server serve"
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
