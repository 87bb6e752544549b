from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from conversations.models import Business


class Command(BaseCommand):
    help = "Create or rename a business by its Apple business id (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("apple_business_id")
        parser.add_argument("--name", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        apple_id = options["apple_business_id"].strip()
        if not apple_id or len(apple_id) > 64:
            raise CommandError("The Apple business id must be 1 to 64 characters.")
        business, created = Business.objects.update_or_create(
            apple_id=apple_id, defaults={"name": options["name"]}
        )
        verb = "Created" if created else "Updated"
        self.stdout.write(f"{verb} business {business.name} ({business.apple_id})")
