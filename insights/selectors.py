"""Who may see which report, and the scope a request asks for."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

from django.utils import timezone
from django.utils.translation import gettext

from businesses.models import Team
from businesses.selectors import business_timezone, channel_settings_get
from conversations.exceptions import ApplicationError, NotFoundError
from conversations.models import Membership
from conversations.types import User

from .reports import MAX_DAYS, ReportScope

DEFAULT_DAYS = 30


def report_memberships(*, user: User) -> list[Membership]:
    return list(
        Membership.objects.filter(user=user)
        .select_related("business")
        .order_by("business__name")
    )


def _date(params: Mapping[str, str], name: str, default: date) -> date:
    raw = (params.get(name) or "").strip()
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ApplicationError(
            gettext("%(name)s must be a date like 2025-01-31 (got %(raw)r).")
            % {"name": name, "raw": raw[:40]},
            code="invalid_date",
        ) from None


def _int(params: Mapping[str, str], name: str) -> int | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise ApplicationError(
            gettext("%(name)s must be a number (got %(raw)r).")
            % {"name": name, "raw": raw[:40]},
            code=f"invalid_{name}",
        ) from None


def report_scope_for(*, user: User, params: Mapping[str, str]) -> ReportScope:
    """The report ``user`` asked for: admins see any agent or team of their
    business; agents see their own figures whatever they ask."""
    memberships = report_memberships(user=user)
    if not memberships:
        raise NotFoundError(gettext("You are not on any business's team."))
    business_id = _int(params, "business")
    membership = (
        memberships[0]
        if business_id is None
        else next((m for m in memberships if m.business_id == business_id), None)
    )
    if membership is None:
        raise NotFoundError(gettext("No such business."))
    business = membership.business
    zone = business_timezone(channel_settings_get(business=business))
    today = timezone.now().astimezone(zone).date()
    end = _date(params, "end", today)
    start = _date(params, "start", end - timedelta(days=DEFAULT_DAYS - 1))
    if start > end:
        raise ApplicationError(
            gettext("start must be on or before end."), code="invalid_range"
        )
    if (end - start).days + 1 > MAX_DAYS:
        raise ApplicationError(
            gettext("A report covers at most %(max_days)s days.")
            % {"max_days": MAX_DAYS},
            code="range_too_long",
        )
    agent_id = _int(params, "agent")
    team_id = _int(params, "team")
    if membership.role != Membership.Role.ADMIN:
        agent_id, team_id = user.pk, None
    else:
        if (
            agent_id is not None
            and not Membership.objects.filter(
                business=business, user_id=agent_id
            ).exists()
        ):
            raise NotFoundError(gettext("No such agent on this team."))
        if (
            team_id is not None
            and not Team.objects.filter(business=business, pk=team_id).exists()
        ):
            raise NotFoundError(gettext("No such team."))
    return ReportScope(
        business=business,
        start=start,
        end=end,
        zone=zone,
        agent_id=agent_id,
        team_id=team_id,
    )


def report_is_admin(*, user: User, scope: ReportScope) -> bool:
    return Membership.objects.filter(
        user=user, business=scope.business, role=Membership.Role.ADMIN
    ).exists()
