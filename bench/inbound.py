"""Inbound webhook benchmark: Apple -> Daphne -> PostgreSQL -> Redis -> agent socket.

What it measures
----------------
Two apps under the same server command, on the same PostgreSQL database and
Redis (bench/stacks.py): the project in production settings (DEBUG off, a
Celery worker beside it) and the minimal Django app of bench/baseline/, which
does the inbound work and nothing else. ``--server daphne`` serves each with
one Daphne process, ``--server serve`` with `make serve`'s Gunicorn and
``--processes`` Uvicorn workers (default: one per core); ``both`` runs both.
An agent signs in to the project and keeps ``/ws/console/`` open. N signed,
gzip'd webhooks per app, built exactly as Apple's gateway posts them and spread
over 200 known customers (the warm-up sent each one's first message), are sent to ``POST /message`` at a fixed concurrency, the
two apps taking turns in alternating rounds so that the machine's drifting load
weighs on both alike.

* throughput: webhooks acknowledged per second; project / minimal is the
  figure to keep high (target >= 0.70). "per round" gives each round's own
  ratio (median and range): how far the machine's drift moves the figure.
* delivery latency: per message, the moment its ``message.created`` frame is
  read from the agent's socket minus the moment its webhook was sent (p50, p95,
  p99, max, in ms): JWT check, gunzip, parse, the transaction, the publish
  through Redis and the push.
* lost: webhooks answered 200 whose message never reached the socket within
  ``--timeout`` seconds after the last answer.
* ceiling: ``POST /message`` without an Authorization header, answered 401 at
  the ASGI edge before any work: the cost of the HTTP path alone.

The client runs on the same machine as the servers, database and Redis, so the
figures compare revisions and apps on one machine; they are not capacity.

Exit status: 0 when every webhook got 200, every message reached the socket and
the baseline got only 401s; 1 otherwise; 2 when the stack would not start.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import math
import os
import statistics
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import jwt
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.profiling import profile_start, profile_stop  # noqa: E402
from bench.stacks import SERVERS, BenchStack, bench_stack  # noqa: E402
from tests.helpers import inbound_body, inbound_request  # noqa: E402
from tests.live import BUILD, MSP_ID, MSP_SECRET  # noqa: E402

# Apple is never called by the inbound path; a closed local port will do.
GATEWAY_URL = "http://127.0.0.1:9/v1"
CUSTOMERS = 200
WARMUP = 50
ROUNDS = 10
REQUEST_TIMEOUT = 30.0
PHASE_SECONDS = 900.0  # a ceiling on any one send phase, whatever happens


@dataclass(frozen=True)
class Webhook:
    message_id: str
    content: bytes
    headers: dict[str, str]


@dataclass
class PhaseResult:
    elapsed: float
    sent_at: dict[str, float]
    statuses: Counter[str] = field(default_factory=Counter)
    ok_ids: list[str] = field(default_factory=list)
    unsent: int = 0

    def add(self, other: PhaseResult) -> None:
        self.elapsed += other.elapsed
        self.sent_at.update(other.sent_at)
        self.statuses.update(other.statuses)
        self.ok_ids += other.ok_ids
        self.unsent += other.unsent

    def unexpected(self, expected: int) -> int:
        return sum(n for s, n in self.statuses.items() if s != str(expected))


class SocketReader(threading.Thread):
    """Reads the agent socket in a thread of its own so that the senders' event
    loop does not delay the receive timestamps."""

    def __init__(self, ws: ClientConnection) -> None:
        super().__init__(name="socket-reader", daemon=True)
        self.ws = ws
        self.received: dict[str, float] = {}
        self.other: Counter[str] = Counter()
        self.error: str | None = None
        self.stopping = threading.Event()
        self.lock = threading.Lock()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                frame = self.ws.recv(timeout=0.2)
            except TimeoutError:
                continue
            except ConnectionClosed as exc:
                if not self.stopping.is_set():
                    self.error = f"socket closed: {exc}"
                return
            now = time.perf_counter()
            event = json.loads(frame)
            kind = str(event.get("type"))
            apple_id = (event.get("data") or {}).get("apple_id")
            with self.lock:
                if kind == "message.created" and apple_id:
                    self.received.setdefault(str(apple_id), now)
                else:
                    self.other[kind] += 1

    def received_at(self, message_id: str) -> float | None:
        with self.lock:
            return self.received.get(message_id)

    def missing(self, message_ids: list[str]) -> list[str]:
        with self.lock:
            return [m for m in message_ids if m not in self.received]

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=5)


def bearer() -> str:
    token = jwt.encode(
        {"aud": MSP_ID, "iat": int(time.time())},
        base64.b64decode(MSP_SECRET),
        algorithm="HS256",
    )
    return f"Bearer {token}"


def build_webhooks(
    stack: BenchStack,
    count: int,
    *,
    label: str,
    signed: bool = True,
    customers: str = "",
) -> list[Webhook]:
    """Everything is signed and gzip'd up front, so that the client's own CPU
    stays out of the timed phase. Apple reuses a token for up to an hour.
    Webhooks built with the same ``customers`` come from the same 200 people."""
    authorization = bearer()
    customers = customers or f"{label}-{uuid.uuid4().hex[:8]}"
    webhooks = []
    for n in range(count):
        message_id = str(uuid.uuid4())
        body = inbound_body(
            business_id=stack.business_apple_id,
            customer_id=f"urn:mbid:AQAAY-bench-{customers}-{n % CUSTOMERS:03d}",
            message_id=message_id,
            body=f"bench {label} message {n} 🚲",
        )
        content, headers = inbound_request(body, authorization=authorization)
        if not signed:
            del headers["Authorization"]
        webhooks.append(Webhook(message_id, content, headers))
    return webhooks


async def send_all(
    base_url: str, webhooks: list[Webhook], concurrency: int, expected: int
) -> PhaseResult:
    """Post every webhook with `concurrency` requests in flight at all times."""
    sent_at: dict[str, float] = {}
    result = PhaseResult(elapsed=0.0, sent_at=sent_at)
    pending = iter(webhooks)
    limits = httpx.Limits(
        max_connections=concurrency, max_keepalive_connections=concurrency
    )

    async def worker(client: httpx.AsyncClient) -> None:
        for webhook in pending:
            sent_at[webhook.message_id] = time.perf_counter()
            try:
                response = await client.post(
                    "/message", content=webhook.content, headers=webhook.headers
                )
            except httpx.HTTPError as exc:
                result.statuses[type(exc).__name__] += 1
                continue
            result.statuses[str(response.status_code)] += 1
            if response.status_code == expected:
                result.ok_ids.append(webhook.message_id)

    async with httpx.AsyncClient(
        base_url=base_url, limits=limits, timeout=REQUEST_TIMEOUT
    ) as client:
        started = time.perf_counter()
        tasks = [asyncio.create_task(worker(client)) for _ in range(concurrency)]
        try:
            await asyncio.wait_for(asyncio.gather(*tasks), timeout=PHASE_SECONDS)
        except TimeoutError:
            result.statuses["phase timeout"] += 1
        result.elapsed = time.perf_counter() - started
    result.unsent = len(webhooks) - len(sent_at)
    return result


def wait_for_socket(
    reader: SocketReader, message_ids: list[str], seconds: float
) -> list[str]:
    """Wait (bounded) until every id was pushed; return those that never were."""
    deadline = time.monotonic() + seconds
    missing = reader.missing(message_ids)
    while missing and time.monotonic() < deadline and reader.is_alive():
        time.sleep(0.05)
        missing = reader.missing(missing)
    return missing


def percentile(ordered: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), math.ceil(p / 100 * len(ordered))))
    return ordered[rank - 1]


def server_log_summary(stack: BenchStack) -> str:
    """What the server complained about: exceptions inside the application and
    broken channel-layer subscriptions (each one closes every socket)."""
    server_log = BUILD / f"bench-inbound-{stack.server}-project.log"
    try:
        text = server_log.read_text(errors="replace")
    except OSError as exc:
        return f"unreadable ({exc})"
    lost = text.count("channel_layer.subscription_lost")
    crashed = text.count("Exception inside application")
    errors = text.count("Internal Server Error")
    return (
        f"{crashed} application exceptions, {errors} internal server errors, "
        f"{lost} channel-layer subscriptions lost ({server_log})"
    )


def log(text: str) -> None:
    print(f"[bench] {text}", file=sys.stderr, flush=True)


def statuses_text(result: PhaseResult) -> str:
    parts = [f"{status}: {n}" for status, n in sorted(result.statuses.items())]
    if result.unsent:
        parts.append(f"not sent: {result.unsent}")
    return ", ".join(parts) or "none"


def run(
    stack: BenchStack,
    messages: int,
    concurrency: int,
    timeout: float,
    profile: Path | None = None,
) -> int:
    cookie = stack.agent_cookie()
    ws_url = stack.base_url.replace("http", "ws", 1) + "/ws/console/"
    with connect(
        ws_url,
        additional_headers={"Cookie": cookie, "Origin": stack.base_url},
        open_timeout=10,
        max_queue=4096,
    ) as ws:
        hello = json.loads(ws.recv(timeout=10))
        if hello.get("type") != "hello":
            raise RuntimeError(f"first frame was not hello: {hello}")
        reader = SocketReader(ws)
        reader.start()
        try:
            return measure(stack, reader, messages, concurrency, timeout, profile)
        finally:
            reader.stop()


def measure(
    stack: BenchStack,
    reader: SocketReader,
    messages: int,
    concurrency: int,
    timeout: float,
    profile: Path | None = None,
) -> int:
    base = stack.base_url
    baseline_url = stack.baseline_url

    # The measured webhooks come from 200 known customers, as Apple's traffic
    # mostly does: the warm-up is each one's first message (a new conversation,
    # routed), so the timed phase measures the common case.
    customers = f"run-{uuid.uuid4().hex[:8]}"
    log(f"warm-up: {CUSTOMERS} webhooks, one per customer")
    warmup = build_webhooks(stack, CUSTOMERS, label="warmup", customers=customers)
    warm = asyncio.run(send_all(base, warmup, concurrency, 200))
    warm_missing = wait_for_socket(reader, warm.ok_ids, timeout)

    asyncio.run(
        send_all(
            baseline_url,
            build_webhooks(stack, CUSTOMERS, label="warmmin"),
            concurrency,
            200,
        )
    )
    # The two apps take turns, a slice each per round, the first to go
    # alternating: on a shared machine the load drifts, and a drift then
    # weighs on both sides alike instead of on whichever phase ran second.
    log(
        f"inbound: {messages} webhooks to each app at concurrency {concurrency}, "
        f"in {ROUNDS} alternating rounds"
    )
    profiler = profile_start(stack.web_pids(), profile) if profile else None
    project_hooks = build_webhooks(stack, messages, label="run", customers=customers)
    minimal_hooks = build_webhooks(stack, messages, label="min")
    inbound = PhaseResult(elapsed=0.0, sent_at={})
    minimal = PhaseResult(elapsed=0.0, sent_at={})
    # Each round's own ratio (the same webhooks to each app): their spread shows
    # how much of a run's figure is the machine's drift.
    round_ratios: list[float] = []
    for n in range(ROUNDS):
        part = slice(n * messages // ROUNDS, (n + 1) * messages // ROUNDS)
        turns = [(base, project_hooks, inbound), (baseline_url, minimal_hooks, minimal)]
        took: dict[str, float] = {}
        for url, hooks, total in turns if n % 2 == 0 else reversed(turns):
            result = asyncio.run(send_all(url, hooks[part], concurrency, 200))
            took[url] = result.elapsed
            total.add(result)
        if took[base]:
            round_ratios.append(took[baseline_url] / took[base])
    missing = wait_for_socket(reader, inbound.ok_ids, timeout)
    if profiler is not None:
        profile_stop(profiler)

    latencies = []
    for message_id in inbound.ok_ids:
        received = reader.received_at(message_id)
        if received is not None:
            latencies.append((received - inbound.sent_at[message_id]) * 1000)
    latencies.sort()
    throughput = messages / inbound.elapsed if inbound.elapsed else 0.0

    log(f"baseline: {messages} unsigned POST /message (401) at {concurrency}")
    asyncio.run(
        send_all(
            base,
            build_webhooks(stack, WARMUP, label="warm401", signed=False),
            concurrency,
            401,
        )
    )
    baseline = asyncio.run(
        send_all(
            base,
            build_webhooks(stack, messages, label="base", signed=False),
            concurrency,
            401,
        )
    )
    base_throughput = messages / baseline.elapsed if baseline.elapsed else 0.0

    minimal_throughput = messages / minimal.elapsed if minimal.elapsed else 0.0
    minimal_failed = minimal.unexpected(200) + minimal.unsent

    failed = inbound.unexpected(200) + inbound.unsent
    warm_failed = warm.unexpected(200) + warm.unsent
    base_failed = baseline.unexpected(401) + baseline.unsent

    print("inbound webhook benchmark")
    print(f"  messages              {messages} ({min(messages, CUSTOMERS)} customers)")
    print(f"  concurrency           {concurrency}")
    print(f"  send phase            {inbound.elapsed:.2f} s")
    print(f"  throughput            {throughput:.1f} messages/s")
    print(
        "  delivery latency ms   "
        f"p50 {percentile(latencies, 50):.1f}  p95 {percentile(latencies, 95):.1f}  "
        f"p99 {percentile(latencies, 99):.1f}  max {percentile(latencies, 100):.1f}"
    )
    print(
        f"  lost                  {len(missing)} (no push {timeout:g} s after the last answer)"
    )
    print(f"  webhook statuses      {statuses_text(inbound)}")
    print(f"  failed webhooks       {failed}")
    print(
        f"  warm-up               {CUSTOMERS} sent (first messages), {warm_failed} failed, "
        f"{len(warm_missing)} lost (not counted above)"
    )
    print(
        f"  minimal app           {minimal_throughput:.1f} messages/s "
        "(bench/baseline: the same work in one async view, same server)"
    )
    print(f"  minimal statuses      {statuses_text(minimal)}")
    ratio = throughput / minimal_throughput if minimal_throughput else float("nan")
    print(f"  project / minimal     {ratio:.2f}   (target >= 0.70)")
    if round_ratios:
        print(
            f"  per round             median {statistics.median(round_ratios):.2f}, "
            f"{min(round_ratios):.2f} to {max(round_ratios):.2f} over {len(round_ratios)} rounds"
        )
    print(
        f"  ceiling               {base_throughput:.1f} requests/s "
        "(POST /message without Authorization: 401 before any database work)"
    )
    print(f"  ceiling statuses      {statuses_text(baseline)}")
    others = ", ".join(f"{k}: {n}" for k, n in sorted(reader.other.items()))
    print(f"  other socket frames   {others or 'none'}")
    if reader.error:
        print(f"  socket error          {reader.error}")
    print(f"  server log            {server_log_summary(stack)}")

    ok = not (
        failed
        or missing
        or warm_failed
        or warm_missing
        or base_failed
        or minimal_failed
    )
    return 0 if ok and not reader.error else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--server",
        choices=(*SERVERS, "both"),
        default="both",
        help="one Daphne process, `make serve` (Gunicorn + Uvicorn workers), or both",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=os.cpu_count() or 1,
        help="web processes for --server serve (make serve's default: one per core)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        help="seconds to wait for the pushes after the last answer",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        help="sample the project's web processes with py-spy into PATH.<pid>.txt",
    )
    args = parser.parse_args(argv)
    if args.messages < 1 or args.concurrency < 1 or args.processes < 1:
        parser.error("--messages, --concurrency and --processes must be positive")
    servers = SERVERS if args.server == "both" else (args.server,)
    status = 0
    for server in servers:
        processes = 1 if server == "daphne" else args.processes
        log(
            f"starting the project and the minimal app: {server}, {processes} process(es)"
        )
        try:
            with bench_stack(
                name="inbound", server=server, processes=processes
            ) as stack:
                log(f"project at {stack.base_url}, minimal app at {stack.baseline_url}")
                print(f"== {server}: {processes} web process(es) per app, DEBUG off")
                status |= run(
                    stack, args.messages, args.concurrency, args.timeout, args.profile
                )
        except RuntimeError as exc:
            log(f"the stack did not start: {exc}")
            return 2
    return status


if __name__ == "__main__":
    sys.exit(main())
