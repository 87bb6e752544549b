from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rest_framework.authtoken.models import Token

from conversations.models import Business, Membership


class Command(BaseCommand):
    help = "Add a user to a business as agent or admin (idempotent); --token prints an API token."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--business", required=True, help="Apple business id")
        parser.add_argument("--role", choices=Membership.Role.values, default="agent")
        parser.add_argument(
            "--password", help="set this password (else unusable unless set)"
        )
        parser.add_argument(
            "--token", action="store_true", help="print the user's API token"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        business = Business.objects.filter(apple_id=options["business"]).first()
        if business is None:
            raise CommandError(
                f"No business {options['business']!r}; create it with add_business first."
            )
        user_model = get_user_model()
        user, created = user_model.objects.get_or_create(username=options["username"])
        if options["password"]:
            user.set_password(options["password"])
        elif created:
            user.set_unusable_password()
        if options["role"] == Membership.Role.ADMIN:
            user.is_staff = True
        user.save()
        Membership.objects.update_or_create(
            user=user, business=business, defaults={"role": options["role"]}
        )
        if options["token"]:
            token, _ = Token.objects.get_or_create(user=user)
            self.stdout.write(token.key)
        else:
            self.stdout.write(
                f"{user.username} is {options['role']} of {business.name}"
            )
