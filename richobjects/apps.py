from __future__ import annotations

from django.apps import AppConfig


class RichobjectsConfig(AppConfig):
    name = "richobjects"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from conversations.presentation import rich_presenter_register

        from .presenters import rich_data_batch

        rich_presenter_register(rich_data_batch)
