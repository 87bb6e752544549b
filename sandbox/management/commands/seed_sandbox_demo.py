from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from conversations.management.commands.seed_demo import DEMO_BUSINESS_ID
from conversations.models import Business
from sandbox.demo import default_base_url, demo_integrations_seed
from sandbox.demo_workflow import demo_workflow_seed


class Command(BaseCommand):
    help = (
        "Point the demo business's sign-in and Apple Pay at the sandbox, and "
        "give it a starter library, canned replies, teams and sample "
        "conversations from named sandbox customers (run after seed_demo)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--base-url",
            default="",
            help="this server's address for the sandbox integrations "
            "(default: PUBLIC_BASE_URL, else the sandbox gateway's host)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.SANDBOX_ENABLED:
            raise CommandError("The sandbox is off (SANDBOX_ENABLED); nothing to seed.")
        business = Business.objects.filter(apple_id=DEMO_BUSINESS_ID).first()
        admin = get_user_model().objects.filter(username="admin").first()
        if business is None or admin is None:
            raise CommandError("Run seed_demo first: the demo business is missing.")
        for line in demo_integrations_seed(
            business=business,
            actor=admin,
            base_url=options.get("base_url") or default_base_url(),
        ):
            self.stdout.write(f"Demo: {line}")
        for line in demo_workflow_seed(business=business, actor=admin):
            self.stdout.write(f"Demo: {line}")
