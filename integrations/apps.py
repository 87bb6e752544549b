from __future__ import annotations

from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from richobjects.channel import channel_provider_register

        from . import receivers
        from .channel_provider import IntegrationsChannelProvider

        receivers.connect()
        channel_provider_register(IntegrationsChannelProvider())
