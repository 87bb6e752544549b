"""Print the signed landing link that lets its holder link one Apple Business ID."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from conversations.exceptions import ApplicationError

from ...link_grants import link_grant_url
from ...services import apple_business_id_clean


class Command(BaseCommand):
    help = "Print /landing/?id=…&grant=… for an Apple Business ID (valid 7 days)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("apple_id")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            apple_id = apple_business_id_clean(options["apple_id"])
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(link_grant_url(apple_id))
