"""App config of the simulator."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class SandboxConfig(AppConfig):
    name = "sandbox"
    verbose_name = "Messages for Business sandbox"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from richobjects.extensions import TryItTarget, try_it_register

        from .try_it import sandbox_customer_choices

        # The editor offers it only where the sandbox's URLs are mounted.
        try_it_register(
            "sandbox",
            TryItTarget(
                label=gettext_lazy("Send to a sandbox customer"),
                choices=sandbox_customer_choices,
                url_name="sandbox:try-rich-object",
            ),
        )
