from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand

DEMO_BUSINESS_ID = "6b7a3c2e-0d1f-4c55-9a1e-2f1b5c3d4e5f"
# The demo's labels (name, colour); sample conversations carry some of them.
DEMO_LABELS = [
    ("billing", "#b3261e"),
    ("shipping", "#0b57d0"),
    ("sales", "#188038"),
    ("vip", "#8e24aa"),
]


class Command(BaseCommand):
    help = (
        "Seed a demo business with an admin (admin/admin) and an agent (agent/agent). "
        "With the sandbox on, `seed_sandbox_demo` then points its sign-in and "
        "Apple Pay at the sandbox."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("add_business", DEMO_BUSINESS_ID, name="Demo Coffee Roasters")
        call_command(
            "add_agent",
            "admin",
            business=DEMO_BUSINESS_ID,
            role="admin",
            password="admin",  # noqa: S106 - the demo login is published
        )
        call_command(
            "add_agent",
            "agent",
            business=DEMO_BUSINESS_ID,
            role="agent",
            password="agent",  # noqa: S106
        )
        from django.contrib.auth import get_user_model

        from conversations.models import Business, Label

        get_user_model().objects.filter(username="admin").update(is_superuser=True)
        business = Business.objects.get(apple_id=DEMO_BUSINESS_ID)
        for name, color in DEMO_LABELS:
            Label.objects.get_or_create(
                business=business, name=name, defaults={"color": color}
            )
        self.stdout.write(
            "Demo: log in as admin/admin or agent/agent; labels "
            + ", ".join(name for name, _ in DEMO_LABELS)
            + "."
        )
