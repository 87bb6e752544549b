from __future__ import annotations

from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    name = "conversations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # schema registers the API token scheme with drf-spectacular on import.
        from . import language, schema, signals  # noqa: F401
        from .services import business_lookup

        signals.connect()
        business_lookup.connect()
        language.connect()
