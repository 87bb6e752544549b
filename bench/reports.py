"""Reports speed over 10,000 conversations and 100,000 messages (issue 16), on PostgreSQL.

Seeds one business with conversations spread over 90 days (messages, their
facts, the event log, CSAT answers, SLA outcomes, five agents, two teams,
three labels on about half the conversations, some with two) and
times the reports: the figures themselves (``report_build``), the REST API, the
page and the CSV, for 90 days and for 7, beside the sign-in page as the
machine's baseline. The goal is under a second each.

    .venv/bin/python bench/reports.py [--conversations 10000] [--messages-each 10]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from console import measure  # noqa: E402

from tests.live import database  # noqa: E402

DAYS = 90


def seed(*, conversations: int, messages_each: int) -> dict[str, object]:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from businesses.models import ConversationRoute, Team
    from conversations.models import (
        Business,
        Conversation,
        Customer,
        Label,
        Membership,
        Message,
    )
    from insights.models import ConversationEvent, ConversationFacts, CsatSurvey

    rng = random.Random(16)
    users = get_user_model()
    admin = users.objects.create_user("bench-admin")
    agents = [users.objects.create_user(f"bench-agent-{n}") for n in range(5)]
    business = Business.objects.create(apple_id="bench-reports", name="Reports")
    Membership.objects.create(user=admin, business=business, role="admin")
    for agent in agents:
        Membership.objects.create(user=agent, business=business)
    teams = [
        Team.objects.create(business=business, name=n) for n in ("Sales", "Repairs")
    ]
    customers = Customer.objects.bulk_create(
        Customer(business=business, apple_id=f"urn:mbid:r-{i}")
        for i in range(conversations)
    )
    now = timezone.now()
    threads = Conversation.objects.bulk_create(
        Conversation(
            business=business,
            customer=c,
            status="resolved" if i % 4 else "open",
            assigned_agent=agents[i % 5],
            last_message_at=now,
        )
        for i, c in enumerate(customers)
    )
    ConversationRoute.objects.bulk_create(
        ConversationRoute(
            conversation=c, team=teams[i % 2], team_name=teams[i % 2].name
        )
        for i, c in enumerate(threads)
    )
    labels = [
        Label.objects.create(business=business, name=n)
        for n in ("vip", "billing", "repair")
    ]
    tagged = Conversation.labels.through
    tagged.objects.bulk_create(
        (
            tagged(conversation_id=c.id, label_id=label.id)
            for i, c in enumerate(threads)
            for n, label in enumerate(labels)
            if i % (n + 3) == 0  # every third vip, every fourth billing…
        ),
        batch_size=5000,
    )
    messages: list[Message] = []
    facts: list[ConversationFacts] = []
    events: list[ConversationEvent] = []
    surveys: list[CsatSurvey] = []
    for i, conversation in enumerate(threads):
        agent = agents[i % 5]
        opened = now - timedelta(minutes=rng.randrange(DAYS * 24 * 60))
        first = opened + timedelta(seconds=rng.randrange(30, 4 * 3600))
        resolved = first + timedelta(seconds=rng.randrange(60, 48 * 3600))
        done = conversation.status == "resolved" and resolved < now
        for j in range(messages_each):
            messages.append(
                Message(
                    conversation=conversation,
                    direction="in" if j % 2 == 0 else "out",
                    status="received" if j % 2 == 0 else "sent",
                    sender=None if j % 2 == 0 else agent,
                    body=f"message {j}",
                )
            )
        facts.append(
            ConversationFacts(
                conversation=conversation,
                business=business,
                opened_at=opened,
                first_response_at=first,
                first_responder=agent,
                first_response_seconds=(first - opened).total_seconds(),
                resolved_at=resolved if done else None,
                first_resolved_at=resolved if done else None,
                resolved_by=agent if done else None,
                resolution_seconds=(resolved - opened).total_seconds()
                if done
                else None,
                resolutions=1 if done else 0,
                first_response_due_at=opened + timedelta(hours=2),
                first_response_breached=(first - opened) > timedelta(hours=2),
            )
        )
        events.append(
            ConversationEvent(
                business=business,
                conversation=conversation,
                kind="opened",
                occurred_at=opened,
            )
        )
        events.append(
            ConversationEvent(
                business=business,
                conversation=conversation,
                kind="first_response",
                actor=agent,
                occurred_at=first,
            )
        )
        if done:
            events.append(
                ConversationEvent(
                    business=business,
                    conversation=conversation,
                    kind="resolved",
                    actor=agent,
                    occurred_at=resolved,
                )
            )
            if i % 3 == 0:
                surveys.append(
                    CsatSurvey(
                        business=business,
                        conversation=conversation,
                        resolution=1,
                        agent=agent,
                        status="answered",
                        sent_as="quick_reply",
                        score=rng.choice((1, 3, 4, 4, 5, 5, 5)),
                        answered_at=resolved + timedelta(minutes=5),
                    )
                )
        if len(messages) >= 20_000:
            Message.objects.bulk_create(messages)
            messages = []
    Message.objects.bulk_create(messages)
    ConversationFacts.objects.bulk_create(facts, batch_size=5000)
    ConversationEvent.objects.bulk_create(events, batch_size=5000)
    CsatSurvey.objects.bulk_create(surveys, batch_size=5000)
    return {"admin": admin, "agent": agents[0], "business": business}


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
        from django.core.signals import request_finished, request_started
        from django.db import close_old_connections, connection, reset_queries
        from django.test import Client
        from django.utils import timezone

        from insights.reports import ReportScope, _by_label, report_build

        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        data = seed(conversations=args.conversations, messages_each=args.messages_each)
        seeded = time.perf_counter() - started
        connection.cursor().execute("ANALYZE")
        request_finished.disconnect(close_old_connections)
        request_started.disconnect(reset_queries)

        admin, agent = Client(), Client()
        admin.force_login(data["admin"])
        agent.force_login(data["agent"])
        baseline_ms, _ = measure(lambda: Client().get("/accounts/login/"))
        today = timezone.now().date()
        business = data["business"]
        zone = timezone.get_current_timezone()
        q90 = f"business={business.id}&start={today - timedelta(days=DAYS)}&end={today}"
        q7 = f"business={business.id}&start={today - timedelta(days=6)}&end={today}"
        cases = {
            "figures, 90 days": lambda: report_build(
                ReportScope(
                    business=business,
                    start=today - timedelta(days=DAYS),
                    end=today,
                    zone=zone,
                )
            ),
            # What the label breakdown adds to the figures above.
            "by label, 90 days": lambda: _by_label(
                ReportScope(
                    business=business,
                    start=today - timedelta(days=DAYS),
                    end=today,
                    zone=zone,
                )
            ),
            "API, 90 days": lambda: admin.get(f"/api/v1/reports/summary/?{q90}"),
            "API, 7 days": lambda: admin.get(f"/api/v1/reports/summary/?{q7}"),
            "API, one agent": lambda: agent.get(f"/api/v1/reports/summary/?{q90}"),
            "page, 90 days": lambda: admin.get(f"/console/reports/?{q90}"),
            "CSV, 90 days": lambda: admin.get(f"/console/reports/export.csv?{q90}"),
        }
        total = args.conversations * args.messages_each
        print("reports benchmark (PostgreSQL)")
        print(
            f"  business              {args.conversations} conversations, {total} messages, {DAYS} days"
        )
        print(f"  seeding               {seeded:.1f} s")
        print(f"  baseline              {baseline_ms:.1f} ms (GET /accounts/login/)")
        print(f"  {'report':22}{'ms':>9}{'q':>4}{'x baseline':>12}")
        worst = 0.0
        for name, run in cases.items():
            ms, queries = measure(run)
            worst = max(worst, ms)
            print(f"  {name:22}{ms:9.1f}{queries:4d}{ms / baseline_ms:12.1f}")
        print(
            f"  slowest               {worst:.1f} ms ({'under' if worst < 1000 else 'OVER'} one second)"
        )
    return 0 if worst < 1000 else 1


if __name__ == "__main__":
    raise SystemExit(main())
