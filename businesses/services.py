"""Writes for channel settings, the landing page's account linking, entry points,
teams and routing rules. Callers have already checked that the actor administers
the business (``selectors.business_get_for_admin``) unless stated otherwise."""

from __future__ import annotations

import io
import logging
import uuid
from collections.abc import Iterable, Mapping
from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext
from PIL import Image, UnidentifiedImageError

from conversations.exceptions import ApplicationError, ConflictError, NotFoundError
from conversations.models import Business, Membership
from conversations.safe_image import ImageTooLarge, open_image
from conversations.types import User

from . import entry_links
from .models import (
    BusinessHours,
    BusinessLink,
    ChannelSettings,
    EntryPoint,
    IMessageApp,
    LinkRequest,
    Priority,
    RoutingRule,
    Team,
)
from .selectors import user_is_operator

logger = logging.getLogger(__name__)

LOGO_MAX_SIDE = 512
LOGO_MAX_UPLOAD_BYTES = 5 * 1024 * 1024
# A decompression bomb is refused before Pillow allocates it.
LOGO_MAX_SOURCE_PIXELS = 40_000_000


# Channel settings --------------------------------------------------------------


def logo_normalise(*, data: bytes) -> bytes:
    """Any image Pillow reads → a PNG at most 512 px on its longest side."""
    if len(data) > LOGO_MAX_UPLOAD_BYTES:
        raise ValidationError({"logo": "The logo can be at most 5 MB."})
    try:
        with open_image(io.BytesIO(data), max_pixels=LOGO_MAX_SOURCE_PIXELS) as probe:
            probe.verify()
        # verify() leaves the image unusable, so it is opened again to convert.
        with open_image(io.BytesIO(data), max_pixels=LOGO_MAX_SOURCE_PIXELS) as image:
            image.load()
            converted = image.convert("RGBA")
    except ImageTooLarge as exc:
        raise ValidationError({"logo": "The logo has too many pixels."}) from exc
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        Image.DecompressionBombError,
    ) as exc:
        raise ValidationError(
            {"logo": "The logo must be an image (PNG, JPEG, GIF or WebP)."}
        ) from exc
    converted.thumbnail((LOGO_MAX_SIDE, LOGO_MAX_SIDE))
    out = io.BytesIO()
    converted.save(out, format="PNG", optimize=True)
    return out.getvalue()


def timezone_validate(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError({"timezone": f"Unknown time zone {name!r}."}) from exc
    return name


def channel_settings_update(
    *,
    business: Business,
    display_name: str,
    timezone_name: str,
    away_message: str,
    hours: Mapping[int, tuple[time, time] | None],
    logo: bytes | None = None,
    remove_logo: bool = False,
    extra_business_fields: Mapping[str, object] | None = None,
) -> ChannelSettings:
    """Save the general settings and the weekly hours in one transaction.

    ``hours`` maps weekday (0 = Monday) to (opens, closes), or None when closed.
    ``extra_business_fields`` are fields that live on Business itself (such as
    the allowed attachment types) and are saved with the rest.
    """
    timezone_validate(timezone_name)
    for weekday, span in hours.items():
        if weekday not in BusinessHours.Weekday.values:
            raise ValidationError({"hours": f"Unknown weekday {weekday}."})
        if span is not None and span[0] == span[1]:
            day = BusinessHours.Weekday(weekday).label
            raise ValidationError(
                {"hours": f"{day}: opening and closing times are the same."}
            )
    logo_png = logo_normalise(data=logo) if logo is not None else None
    with transaction.atomic():
        channel_settings, _ = ChannelSettings.objects.select_for_update().get_or_create(
            business=business
        )
        channel_settings.display_name = display_name.strip()
        channel_settings.timezone = timezone_name
        channel_settings.away_message = away_message.strip()
        if logo_png is not None:
            channel_settings.logo_png = logo_png
            channel_settings.logo_updated_at = timezone.now()
        elif remove_logo:
            channel_settings.logo_png = b""
            channel_settings.logo_updated_at = None
        channel_settings.save()
        for weekday, span in hours.items():
            if span is None:
                BusinessHours.objects.filter(
                    business=business, weekday=weekday
                ).delete()
            else:
                BusinessHours.objects.update_or_create(
                    business=business,
                    weekday=weekday,
                    defaults={"opens": span[0], "closes": span[1]},
                )
        if extra_business_fields:
            for name, value in extra_business_fields.items():
                setattr(business, name, value)
            business.save(update_fields=list(extra_business_fields))
    return channel_settings


def imessage_app_create(
    *, business: Business, app_id: str, name: str, bid: str, url: str
) -> IMessageApp:
    app = IMessageApp(
        business=business,
        app_id=app_id.strip(),
        name=name.strip(),
        bid=bid.strip(),
        url=url.strip(),
    )
    app.full_clean(exclude=["business"])
    try:
        with transaction.atomic():
            app.save()
    except IntegrityError as exc:
        raise ValidationError(
            {"app_id": f"An iMessage app with app id {app.app_id!r} already exists."}
        ) from exc
    return app


def imessage_app_delete(*, business: Business, app_pk: int) -> None:
    deleted, _ = IMessageApp.objects.filter(business=business, pk=app_pk).delete()
    if not deleted:
        raise NotFoundError(gettext("No such iMessage app."))


# Landing page: account linking (spec §9) ----------------------------------------


def apple_business_id_clean(value: str) -> str:
    """Apple's Business IDs are UUIDs; anything else is a broken or forged link."""
    try:
        return str(uuid.UUID(value.strip()))
    except (ValueError, AttributeError) as exc:
        raise ApplicationError(
            gettext(
                "This link does not carry a valid Apple Business ID. Start again from "
                "Apple Business Register."
            ),
            code="invalid_business_id",
        ) from exc


def business_link(
    *,
    actor: User,
    apple_id: str,
    business: Business | None = None,
    new_name: str = "",
    brand_name: str = "",
    brand_logo_url: str = "",
) -> Business:
    """Link an Apple Business ID to a business account.

    With ``business`` the ID goes to that existing account, which the actor must
    administer (operators may pick any); without it a new account named
    ``new_name`` is created with the actor as its admin. An ID that is already
    linked is refused with ConflictError, so a second visit never moves a
    brand's conversations silently.
    """
    apple_id = apple_business_id_clean(apple_id)
    operator = user_is_operator(user=actor)
    if business is not None and not operator:
        administers = Membership.objects.filter(
            user=actor, business=business, role=Membership.Role.ADMIN
        ).exists()
        if not administers:
            raise NotFoundError(
                gettext("No such business account among the ones you administer.")
            )
    with transaction.atomic():
        linked = Business.objects.filter(apple_id=apple_id).first()
        if (
            linked is not None
            or BusinessLink.objects.filter(apple_id=apple_id).exists()
        ):
            owner = linked or BusinessLink.objects.get(apple_id=apple_id).business
            # Only operators learn which account holds it.
            message = (
                gettext(
                    "Business ID %(apple_id)s is already linked to %(owner)r. "
                    "Ask your MSP to move it if that is wrong."
                )
                if operator
                else gettext(
                    "Business ID %(apple_id)s is already linked. "
                    "Ask your MSP to move it if that is wrong."
                )
            )
            raise ConflictError(
                message % {"apple_id": apple_id, "owner": owner.name},
                code="already_linked",
                extra={"business": owner.pk},
            )
        if business is None:
            name = (new_name or brand_name).strip()[:200]
            if not name:
                raise ValidationError({"name": "Give the business account a name."})
            business = Business.objects.create(
                apple_id=apple_id,
                name=name,
                logo_url=brand_logo_url,
            )
            Membership.objects.create(
                user=actor, business=business, role=Membership.Role.ADMIN
            )
        else:
            business = Business.objects.select_for_update().get(pk=business.pk)
            # Conversations are keyed by the Apple ID they arrived for; moving a
            # business that has some would orphan every customer's thread.
            if business.conversations.exists():
                raise ConflictError(
                    gettext(
                        "%(name)r already has conversations under Business ID %(apple_id)s; create a new business account for this ID."
                    )
                    % {"name": business.name, "apple_id": business.apple_id},
                    code="business_in_use",
                )
            business.apple_id = apple_id
            if brand_logo_url and not business.logo_url:
                business.logo_url = brand_logo_url
            business.save(update_fields=["apple_id", "logo_url"])
        BusinessLink.objects.create(
            apple_id=apple_id,
            business=business,
            linked_by=actor,
            brand_name=brand_name[:200],
            brand_logo_url=brand_logo_url,
        )
    logger.info(
        "business.linked",
        extra={"business": business.pk, "actor": actor.pk, "operator": operator},
    )
    return business


def link_request_create(
    *,
    actor: User,
    apple_id: str,
    business: Business | None = None,
    new_name: str = "",
    brand_name: str = "",
    brand_logo_url: str = "",
) -> LinkRequest:
    """Ask an MSP operator to link ``apple_id``; asking again updates the request."""
    apple_id = apple_business_id_clean(apple_id)
    if (
        business is not None
        and not Membership.objects.filter(
            user=actor, business=business, role=Membership.Role.ADMIN
        ).exists()
    ):
        raise NotFoundError(
            gettext("No such business account among the ones you administer.")
        )
    if business is None and not (new_name or brand_name).strip():
        raise ValidationError({"name": "Give the business account a name."})
    if (
        Business.objects.filter(apple_id=apple_id).exists()
        or BusinessLink.objects.filter(apple_id=apple_id).exists()
    ):
        raise ConflictError(
            gettext(
                "Business ID %(apple_id)s is already linked. Ask your MSP to move it if that is wrong."
            )
            % {"apple_id": apple_id},
            code="already_linked",
        )
    request, _ = LinkRequest.objects.update_or_create(
        apple_id=apple_id,
        requested_by=actor,
        status=LinkRequest.Status.PENDING,
        defaults={
            "business": business,
            "new_name": new_name.strip()[:200],
            "brand_name": brand_name[:200],
            "brand_logo_url": brand_logo_url,
        },
    )
    logger.info(
        "business.link_requested",
        extra={"request": request.pk, "actor": actor.pk},
    )
    return request


def link_request_decide(
    *, operator: User, request_id: int, approve: bool
) -> Business | None:
    """An operator approves (the link is made for the requester) or refuses."""
    if not user_is_operator(user=operator):
        raise NotFoundError(gettext("No such link request."))
    with transaction.atomic():
        request = (
            LinkRequest.objects.select_for_update()
            .filter(pk=request_id, status=LinkRequest.Status.PENDING)
            .first()
        )
        if request is None:
            raise NotFoundError(gettext("No such link request."))
        business = None
        if approve:
            business = business_link(
                actor=request.requested_by,
                apple_id=request.apple_id,
                business=request.business,
                new_name=request.new_name,
                brand_name=request.brand_name,
                brand_logo_url=request.brand_logo_url,
            )
        request.status = (
            LinkRequest.Status.APPROVED if approve else LinkRequest.Status.REFUSED
        )
        request.decided_by = operator
        request.decided_at = timezone.now()
        request.save(update_fields=["status", "decided_by", "decided_at"])
    logger.info(
        "business.link_decided",
        extra={"request": request.pk, "operator": operator.pk, "approved": approve},
    )
    return business


# Entry points (spec §10) ---------------------------------------------------------


def entry_point_validate(*, intent: str, group: str, body: str) -> None:
    errors = {}
    for field, label, value in (
        ("intent", "intent", intent),
        ("group", "group", group),
    ):
        message = entry_links.token_error(value, label=label)
        if message:
            errors[field] = message
    message = entry_links.body_error(body)
    if message:
        errors["body"] = message
    if errors:
        raise ValidationError(errors)


def entry_point_create(
    *, business: Business, name: str, intent: str, group: str, body: str
) -> EntryPoint:
    name, intent, group = name.strip(), intent.strip(), group.strip()
    if not name:
        raise ValidationError({"name": "Give the link a name."})
    entry_point_validate(intent=intent, group=group, body=body)
    try:
        with transaction.atomic():
            return EntryPoint.objects.create(
                business=business, name=name, intent=intent, group=group, body=body
            )
    except IntegrityError as exc:
        raise ValidationError(
            {"name": f"A link named {name!r} already exists."}
        ) from exc


def entry_point_update(
    *,
    business: Business,
    entry_point_pk: int,
    name: str,
    intent: str,
    group: str,
    body: str,
) -> EntryPoint:
    """Change a link in place; QR codes already printed for the old values stop
    carrying them, which is the admin's call."""
    entry = EntryPoint.objects.filter(business=business, pk=entry_point_pk).first()
    if entry is None:
        raise NotFoundError("No such entry link.")
    name, intent, group = name.strip(), intent.strip(), group.strip()
    if not name:
        raise ValidationError({"name": "Give the link a name."})
    entry_point_validate(intent=intent, group=group, body=body)
    entry.name, entry.intent, entry.group, entry.body = name, intent, group, body
    try:
        with transaction.atomic():
            entry.save(update_fields=["name", "intent", "group", "body"])
    except IntegrityError as exc:
        raise ValidationError(
            {"name": f"A link named {name!r} already exists."}
        ) from exc
    return entry


def entry_point_delete(*, business: Business, entry_point_pk: int) -> None:
    deleted, _ = EntryPoint.objects.filter(
        business=business, pk=entry_point_pk
    ).delete()
    if not deleted:
        raise NotFoundError(gettext("No such entry link."))


# Teams and routing rules ------------------------------------------------------------


def _members_of(business: Business, user_ids: Iterable[int]) -> list[int]:
    wanted = {int(pk) for pk in user_ids}
    found = set(
        Membership.objects.filter(business=business, user_id__in=wanted).values_list(
            "user_id", flat=True
        )
    )
    if wanted - found:
        raise ValidationError(
            {"members": "Only people of this business can be in its teams."}
        )
    return sorted(found)


def team_save(
    *,
    business: Business,
    name: str,
    member_ids: Iterable[int],
    team: Team | None = None,
    assign_cap: int = 10,
    reassign_when_offline: bool = False,
) -> Team:
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the team a name."})
    members = _members_of(business, member_ids)
    try:
        with transaction.atomic():
            if team is None:
                team = Team.objects.create(
                    business=business,
                    name=name,
                    assign_cap=assign_cap,
                    reassign_when_offline=reassign_when_offline,
                )
            else:
                team.name = name
                team.assign_cap = assign_cap
                team.reassign_when_offline = reassign_when_offline
                team.save(update_fields=["name", "assign_cap", "reassign_when_offline"])
            team.members.set(members)
    except IntegrityError as exc:
        raise ValidationError(
            {"name": f"A team named {name!r} already exists."}
        ) from exc
    return team


def team_delete(*, business: Business, team_pk: int) -> None:
    deleted, _ = Team.objects.filter(business=business, pk=team_pk).delete()
    if not deleted:
        raise NotFoundError(gettext("No such team."))


def routing_rule_create(
    *,
    business: Business,
    name: str,
    position: int = 100,
    match_intent: str = "",
    match_group: str = "",
    match_locale: str = "",
    match_hours: str = RoutingRule.Hours.ANY,
    team: Team | None = None,
    priority: str = Priority.NORMAL,
    assignee: User | None = None,
    reply_text: str = "",
    reply_rich_object_id: int | None = None,
    bot: bool = False,
    auto_assign: bool = False,
    rule: RoutingRule | None = None,
) -> RoutingRule:
    """Add a rule, or change ``rule`` (one of the business's) in place; every
    referenced team, person and rich object must be the business's own."""
    if rule is not None and rule.business_id != business.pk:
        raise NotFoundError("No such rule.")
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = "Give the rule a name."
    for field, label, value in (
        ("match_intent", "intent", match_intent),
        ("match_group", "group", match_group),
    ):
        message = entry_links.token_error(value.strip(), label=label)
        if message:
            errors[field] = message
    if match_locale and not all(ch.isalnum() or ch in "_-" for ch in match_locale):
        errors["match_locale"] = "A locale looks like en or en_US."
    if team is not None and team.business_id != business.pk:
        errors["team"] = "Choose one of this business's teams."
    if (
        assignee is not None
        and not Membership.objects.filter(business=business, user=assignee).exists()
    ):
        errors["assignee"] = "Only people of this business can be assigned."
    rich_object = None
    if reply_rich_object_id is not None:
        from richobjects.models import RichObject

        rich_object = RichObject.objects.filter(
            pk=reply_rich_object_id, business=business
        ).first()
        if rich_object is None:
            errors["reply_rich_object"] = "Choose one of this business's rich objects."
    if reply_text and rich_object is not None:
        errors["reply_text"] = "Send either a text or a rich object, not both."
    if auto_assign and team is None:
        errors["auto_assign"] = "Auto-assignment needs a team to assign within."
    if errors:
        raise ValidationError(errors)
    if rule is None:
        rule = RoutingRule(business=business)
    rule.name = name.strip()
    rule.position = position
    rule.match_intent = match_intent.strip()
    rule.match_group = match_group.strip()
    rule.match_locale = match_locale.strip()
    rule.match_hours = match_hours
    rule.team = team
    rule.priority = priority
    rule.assignee = assignee
    rule.reply_text = reply_text.strip()
    rule.reply_rich_object = rich_object
    rule.bot = bot
    rule.auto_assign = auto_assign
    rule.full_clean(exclude=["business", "team", "assignee", "reply_rich_object"])
    rule.save()
    return rule


def routing_rule_delete(*, business: Business, rule_pk: int) -> None:
    deleted, _ = RoutingRule.objects.filter(business=business, pk=rule_pk).delete()
    if not deleted:
        raise NotFoundError(gettext("No such rule."))
