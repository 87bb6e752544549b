"""App config of the simulator."""

from __future__ import annotations

from django.apps import AppConfig


class SandboxConfig(AppConfig):
    name = "sandbox"
    verbose_name = "Messages for Business sandbox"
    default_auto_field = "django.db.models.BigAutoField"
