from __future__ import annotations

from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from conversations.presentation import customer_field_register
        from richobjects.channel import channel_provider_register

        from . import receivers
        from .channel_provider import IntegrationsChannelProvider
        from .selectors import identity_data_for_customer

        receivers.connect()
        customer_field_register("identity", identity_data_for_customer)
        channel_provider_register(IntegrationsChannelProvider())
