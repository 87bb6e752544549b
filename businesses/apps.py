"""App config for per-business channel settings, entry points and routing."""

from __future__ import annotations

from django.apps import AppConfig


class BusinessesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "businesses"

    def ready(self) -> None:
        from richobjects.extensions import business_directory_register

        from . import receivers
        from .library_directory import BusinessesDirectory

        receivers.connect()
        business_directory_register(BusinessesDirectory())
