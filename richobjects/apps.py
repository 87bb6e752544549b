from __future__ import annotations

from django.apps import AppConfig


class RichobjectsConfig(AppConfig):
    name = "richobjects"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from conversations.presentation import (
            reply_summary_register,
            rich_presenter_register,
        )

        from .presenters import reply_summary, rich_data_batch

        rich_presenter_register(rich_data_batch)
        reply_summary_register(reply_summary)
