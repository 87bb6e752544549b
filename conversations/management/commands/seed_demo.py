from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

DEMO_BUSINESS_ID = "6b7a3c2e-0d1f-4c55-9a1e-2f1b5c3d4e5f"


class Command(BaseCommand):
    help = (
        "Seed a demo business with an admin (admin/admin) and an agent (agent/agent)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--base-url",
            default="",
            help="this server's address for the sandbox integrations "
            "(default: PUBLIC_BASE_URL, else the sandbox gateway's host)",
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

        get_user_model().objects.filter(username="admin").update(is_superuser=True)
        self._seed_integrations(options.get("base_url") or "")
        self.stdout.write("Demo: log in as admin/admin or agent/agent.")

    def _seed_integrations(self, base_url: str) -> None:
        """With the sandbox on, sign-in and Apple Pay go through it (sandbox/demo.py)."""
        from django.conf import settings

        if not settings.SANDBOX_ENABLED:
            return
        from django.contrib.auth import get_user_model

        from conversations.models import Business
        from sandbox.demo import default_base_url, demo_integrations_seed

        for line in demo_integrations_seed(
            business=Business.objects.get(apple_id=DEMO_BUSINESS_ID),
            actor=get_user_model().objects.get(username="admin"),
            base_url=base_url or default_base_url(),
        ):
            self.stdout.write(f"Demo: {line}")
