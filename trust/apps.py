from __future__ import annotations

from django.apps import AppConfig


class TrustConfig(AppConfig):
    name = "trust"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Trust (audit log, customer data rights)"

    def ready(self) -> None:
        from . import receivers

        receivers.connect()
