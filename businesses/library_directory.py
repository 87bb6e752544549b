"""What the rich-object library reads from a business's channel settings.

Registered with ``richobjects.extensions`` at start-up, so the library expands
time-picker slots in the business's zone and offers its iMessage apps without
importing this app.
"""

from __future__ import annotations

from datetime import tzinfo

from django.urls import reverse

from conversations.models import Business
from richobjects.builders import IMESSAGE_BID_PREFIX
from richobjects.extensions import IMessageAppChoice

from .models import IMessageApp
from .selectors import business_timezone, channel_settings_get


def _choice(app: IMessageApp) -> IMessageAppChoice:
    # The bid is "<plugin prefix>:<team id>:<extension bundle id>".
    rest = app.bid.removeprefix(f"{IMESSAGE_BID_PREFIX}:")
    team_id, _, bundle = rest.partition(":")
    return IMessageAppChoice(
        name=app.name,
        app_id=app.app_id,
        team_id=team_id if bundle else "",
        extension_bundle_id=bundle,
        url=app.url,
    )


class BusinessesDirectory:
    def time_zone(self, business: Business) -> tzinfo:
        return business_timezone(channel_settings_get(business=business))

    def imessage_apps(self, business: Business) -> list[IMessageAppChoice]:
        return [_choice(app) for app in IMessageApp.objects.filter(business=business)]

    def settings_url(self, business: Business) -> str:
        return reverse("businesses:settings", args=[business.pk])
