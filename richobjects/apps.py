from __future__ import annotations

from django.apps import AppConfig


class RichobjectsConfig(AppConfig):
    name = "richobjects"
    default_auto_field = "django.db.models.BigAutoField"
