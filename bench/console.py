"""Console and API read speed with 10,000 conversations and 100,000 messages in one
business (issue 4), on PostgreSQL.

For each page it prints the median time and the query count for the big business,
the same page for a small business (10 conversations) in the same database, and
the ratio big/small: a page that stays fast as a business grows has a ratio near
1 and the same query count. A trivial page (the sign-in form) is the machine's
baseline, so the figures read the same on a busy or an idle machine.

    .venv/bin/python bench/console.py [--conversations 10000] [--messages-each 10]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.live import database  # noqa: E402

REPEATS = 15


def measure(get: Callable[[], object]) -> tuple[float, int]:
    """Median milliseconds over REPEATS calls (after one warm-up) and queries per call."""
    from django.db import connection

    get()
    queries = 0

    def count(execute: Callable, sql: str, params: object, many: bool, context: dict):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        get()
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        get()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), queries


def seed(*, conversations: int, messages_each: int) -> dict[str, object]:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from conversations.models import (
        Business,
        Conversation,
        Customer,
        Membership,
        Message,
    )

    user = get_user_model().objects.create_user("bench-agent")
    created = {}
    for name, count in (("big", conversations), ("small", 10)):
        business = Business.objects.create(apple_id=f"bench-{name}", name=name)
        Membership.objects.create(user=user, business=business)
        customers = Customer.objects.bulk_create(
            Customer(business=business, apple_id=f"urn:mbid:{name}-{i}")
            for i in range(count)
        )
        now = timezone.now()
        threads = Conversation.objects.bulk_create(
            Conversation(
                business=business,
                customer=customer,
                device_agent="iPhone OS",
                last_message_at=now,
                status=("open", "pending", "resolved")[i % 3],
            )
            for i, customer in enumerate(customers)
        )
        batch: list[Message] = []
        for i, conversation in enumerate(threads):
            for j in range(messages_each):
                inbound = j % 2 == 0
                batch.append(
                    Message(
                        conversation=conversation,
                        direction="in" if inbound else "out",
                        status="received" if inbound else "sent",
                        body=f"message {j} about order {i} with a bicycle pump"
                        + (
                            " needle-in-a-haystack"
                            if i == count // 2 and j == 3
                            else ""
                        ),
                    )
                )
            if len(batch) >= 20_000:
                Message.objects.bulk_create(batch)
                batch = []
        Message.objects.bulk_create(batch)
        created[name] = (business, threads[len(threads) // 2])
    return {"user": user, **created}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--messages-each", type=int, default=10)
    args = parser.parse_args()

    with database() as database_url:
        os.environ.update(
            {
                "DJANGO_SETTINGS_MODULE": "msp_console.settings",
                "DJANGO_DEBUG": "True",
                "DJANGO_SECURE_SSL_REDIRECT": "False",
                "SANDBOX_ENABLED": "False",
                "DATABASE_URL": database_url,
                "ALLOWED_HOSTS": "testserver",
            }
        )
        os.environ.pop("REDIS_URL", None)
        import django

        django.setup()
        from django.core.management import call_command
        from django.test import Client

        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        data = seed(conversations=args.conversations, messages_each=args.messages_each)
        seeded = time.perf_counter() - started
        call_command(
            "shell",
            "-c",
            "from django.db import connection; c=connection.cursor(); c.execute('ANALYZE')",
        )

        from django.core.signals import request_finished, request_started
        from django.db import close_old_connections, reset_queries

        # As Django's own test runner does: keep one connection across requests,
        # so the query log survives and no reconnect is timed.
        request_finished.disconnect(close_old_connections)
        request_started.disconnect(reset_queries)
        client = Client()
        client.force_login(data["user"])
        baseline_ms, _ = measure(lambda: Client().get("/accounts/login/"))

        def pages(business, conversation) -> dict[str, Callable[[], object]]:
            return {
                "inbox, first page": lambda: client.get(
                    f"/console/?business={business.id}"
                ),
                "inbox, page 40": lambda: client.get(
                    f"/console/?business={business.id}&page=40"
                ),
                "inbox, open only": lambda: client.get(
                    f"/console/?business={business.id}&status=open"
                ),
                "conversation page": lambda: client.get(
                    f"/console/c/{conversation.id}/"
                ),
                "API conversations": lambda: client.get(
                    f"/api/v1/conversations/?business={business.id}&limit=50"
                ),
                "API messages": lambda: client.get(
                    f"/api/v1/conversations/{conversation.id}/messages/?limit=100"
                ),
                "search, rare word": lambda: client.get(
                    "/console/search/?q=needle-in-a-haystack"
                ),
            }

        big, small = pages(*data["big"]), pages(*data["small"])
        total = args.conversations * args.messages_each
        print("console read benchmark (PostgreSQL)")
        print(
            f"  big business          {args.conversations} conversations, {total} messages"
        )
        print("  small business        10 conversations (same database)")
        print(f"  seeding               {seeded:.1f} s")
        print(f"  baseline              {baseline_ms:.1f} ms (GET /accounts/login/)")
        print(
            f"  {'page':22}{'big ms':>9}{'q':>4}{'small ms':>10}{'q':>4}{'big/small':>11}{'big/baseline':>14}"
        )
        worst = 0.0
        for name in big:
            big_ms, big_q = measure(big[name])
            small_ms, small_q = measure(small[name])
            ratio = big_ms / small_ms if small_ms else float("nan")
            worst = max(worst, ratio)
            print(
                f"  {name:22}{big_ms:9.1f}{big_q:4d}{small_ms:10.1f}{small_q:4d}"
                f"{ratio:11.2f}{big_ms / baseline_ms:14.1f}"
            )
        print(f"  worst big/small       {worst:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
