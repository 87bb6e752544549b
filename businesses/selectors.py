"""Reads for channel settings, entry points and routing, with tenancy checks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from conversations.exceptions import NotFoundError, PermissionDeniedError
from conversations.models import Business, Membership
from conversations.types import User

from .models import BusinessHours, ChannelSettings, ConversationRoute, EntryPoint


def user_is_operator(*, user: User) -> bool:
    """An MSP operator may link any Apple Business ID to any business account.

    A permission rather than ``is_staff``: ``add_agent --role admin`` makes every
    business admin staff (for the Django admin), and that must not open all tenants.
    """
    return bool(
        user.is_authenticated
        and user.is_active
        and user.has_perm("businesses.link_any_business")
    )


def business_get_for_admin(*, user: User, business_id: int) -> Business:
    """The business, if ``user`` administers it. Agents get PermissionDeniedError;
    people outside the business get NotFoundError (its existence is not revealed)."""
    membership = (
        Membership.objects.filter(user=user, business_id=business_id)
        .select_related("business")
        .first()
    )
    if membership is None:
        raise NotFoundError(gettext("No such business."))
    if membership.role != Membership.Role.ADMIN:
        raise PermissionDeniedError(
            gettext("Only the business's admins can change this.")
        )
    return membership.business


def business_list_administered(*, user: User) -> QuerySet[Business]:
    if user_is_operator(user=user):
        return Business.objects.order_by("name")
    return Business.objects.filter(
        memberships__user=user, memberships__role=Membership.Role.ADMIN
    ).order_by("name")


def channel_settings_get(*, business: Business) -> ChannelSettings:
    """The business's settings; an unsaved default row when it has none yet."""
    found = ChannelSettings.objects.filter(business=business).first()
    return found or ChannelSettings(business=business)


def business_timezone(channel_settings: ChannelSettings) -> ZoneInfo:
    try:
        return ZoneInfo(channel_settings.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def business_is_open(*, business: Business, at: datetime | None = None) -> bool:
    """Whether ``at`` (default now) falls within the business's hours.

    No hours set means always open. Hours that close before they open run past
    midnight (22:00 to 02:00).
    """
    hours = {
        row.weekday: row for row in BusinessHours.objects.filter(business=business)
    }
    if not hours:
        return True
    local = (at or timezone.now()).astimezone(
        business_timezone(channel_settings_get(business=business))
    )
    now = local.time().replace(tzinfo=None)
    today = hours.get(local.weekday())
    if today is not None:
        if today.opens <= today.closes and today.opens <= now < today.closes:
            return True
        if today.opens > today.closes and now >= today.opens:
            return True
    yesterday = hours.get((local.weekday() - 1) % 7)
    return bool(
        yesterday is not None
        and yesterday.opens > yesterday.closes
        and now < yesterday.closes
    )


def entry_point_list(*, business: Business) -> QuerySet[EntryPoint]:
    return EntryPoint.objects.filter(business=business)


def conversation_route_get(*, conversation_id: int) -> ConversationRoute | None:
    return (
        ConversationRoute.objects.filter(conversation_id=conversation_id)
        .select_related("team")
        .first()
    )


@dataclass(frozen=True)
class ChecklistStep:
    key: str
    title: str
    hint: str
    url: str
    done: bool


def onboarding_checklist(*, business: Business) -> list[ChecklistStep]:
    """A new owner's first steps, each ticked from what the business really has
    (nothing is stored: a step done another way, or undone, shows as such)."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from conversations.models import Invitation
    from richobjects.models import RichObject

    settings = ChannelSettings.objects.filter(business=business).first()
    others = (
        Membership.objects.filter(business=business).count() > 1
        or Invitation.objects.filter(
            business=business, status=Invitation.Status.PENDING
        ).exists()
    )
    settings_url = reverse("businesses:settings", args=[business.pk])
    return [
        ChecklistStep(
            "settings",
            _("Channel settings"),
            _(
                "The name customers see, your time zone, business hours and away message."
            ),
            settings_url,
            settings is not None,
        ),
        ChecklistStep(
            "logo",
            _("Logo"),
            _("Shown to customers next to your messages."),
            settings_url + "#general-form",
            bool(settings and settings.logo_png),
        ),
        ChecklistStep(
            "agents",
            _("Invite agents"),
            _("Invite the people who will answer customers."),
            reverse("console-agents", args=[business.pk]),
            others,
        ),
        ChecklistStep(
            "library",
            _("First library object"),
            _("A list picker, a time picker or a form agents and bots can send."),
            reverse("library-list", args=[business.pk]),
            RichObject.objects.filter(business=business).exists(),
        ),
        ChecklistStep(
            "entry-link",
            _("Entry link"),
            _("A link or QR code that starts a conversation with you."),
            reverse("businesses:entry-points", args=[business.pk]),
            EntryPoint.objects.filter(business=business).exists(),
        ),
    ]
