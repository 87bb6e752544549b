"""App config for per-business channel settings, entry points and routing."""

from __future__ import annotations

from django.apps import AppConfig


class BusinessesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "businesses"

    def ready(self) -> None:
        from . import receivers

        receivers.connect()
