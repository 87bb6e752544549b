"""Reads of the rich-object library for the console picker and the bot API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from conversations.models import Business, Membership
from conversations.types import User

from .models import RichObject


def rich_object_list_for_agent(
    *, business: Business, team: str = "", query: str = "", kind: str = ""
) -> list[RichObject]:
    """Published objects an agent of ``team`` may send, matching ``query``.

    ``query`` matches the name or a tag, case-insensitively; objects scoped to
    another team are left out. Tags are matched in Python because JSON
    containment lookups are not available on SQLite, and a library holds at
    most a few hundred objects.
    """
    objects: QuerySet[RichObject] = (
        RichObject.objects.filter(business=business, state=RichObject.State.PUBLISHED)
        .filter(Q(scope_team="") | Q(scope_team=team))
        .select_related("published_version")
        .order_by("name")
    )
    if kind:
        objects = objects.filter(kind=kind)
    needle = query.strip().lower()
    if not needle:
        return list(objects)
    return [
        rich_object
        for rich_object in objects
        if needle in rich_object.name.lower()
        or any(needle in str(tag) for tag in rich_object.tags)
    ]


def rich_object_get_sendable(
    *, business: Business, object_id: int
) -> RichObject | None:
    """A published object of ``business`` by id (the bot API's lookup), or None."""
    return (
        RichObject.objects.filter(
            business=business, pk=object_id, state=RichObject.State.PUBLISHED
        )
        .select_related("published_version")
        .first()
    )


def rich_object_list_for_user(
    *,
    user: User,
    business_id: int | None = None,
    query: str = "",
    tag: str = "",
    kind: str = "",
) -> list[RichObject]:
    """Published objects ``user`` may send, across the businesses they belong to.

    Team-scoped objects are listed for that team's members and the business's admins.
    """
    memberships = Membership.objects.filter(user=user).select_related("business")
    if business_id is not None:
        memberships = memberships.filter(business_id=business_id)
    found: list[RichObject] = []
    for membership in memberships:
        business = membership.business
        candidates = (
            RichObject.objects.filter(
                business=business, state=RichObject.State.PUBLISHED
            )
            .select_related("published_version", "business")
            .order_by("name")
        )
        if membership.role != Membership.Role.ADMIN:
            teams = (
                list(
                    user.teams.filter(business=business).values_list("name", flat=True)
                )
                if hasattr(user, "teams")
                else []
            )
            candidates = candidates.filter(Q(scope_team="") | Q(scope_team__in=teams))
        if kind:
            candidates = candidates.filter(kind=kind)
        needle = query.strip().lower()
        wanted_tag = tag.strip().lower()
        for rich_object in candidates:
            tags = [str(t) for t in rich_object.tags]
            if wanted_tag and wanted_tag not in tags:
                continue
            if needle and not (
                needle in rich_object.name.lower() or any(needle in t for t in tags)
            ):
                continue
            found.append(rich_object)
    return found


def rich_object_get_for_user(*, user: User, object_id: int) -> RichObject | None:
    """One published object ``user`` may send, by id, or None (absent and forbidden look alike)."""
    for rich_object in rich_object_list_for_user(user=user):
        if rich_object.pk == object_id:
            return rich_object
    return None


@dataclass(frozen=True)
class LibraryFilters:
    """The library page's filters, each blank for "any"."""

    query: str = ""
    kind: str = ""
    tag: str = ""
    status: str = ""
    team: str = ""


def rich_object_list_for_library(
    *, business: Business, user: User, is_admin: bool, filters: LibraryFilters
) -> list[RichObject]:
    """The library page's rows: every state for admins (archived only when asked);
    for agents, the published objects they may send."""
    objects: QuerySet[RichObject] = RichObject.objects.filter(
        business=business
    ).select_related("current_version__created_by", "published_version")
    if is_admin:
        if filters.status:
            objects = objects.filter(state=filters.status)
        else:
            objects = objects.exclude(state=RichObject.State.ARCHIVED)
    else:
        # Teams belong to the businesses app, above this one: reached by relation.
        related = getattr(user, "teams", None)
        teams = (
            list(related.filter(business=business).values_list("name", flat=True))
            if related is not None
            else []
        )
        objects = objects.filter(state=RichObject.State.PUBLISHED).filter(
            Q(scope_team="") | Q(scope_team__in=teams)
        )
    if filters.kind:
        objects = objects.filter(kind=filters.kind)
    if filters.team:
        objects = objects.filter(scope_team=filters.team)
    needle = filters.query.strip().lower()
    wanted_tag = filters.tag.strip().lower()
    found = []
    for rich_object in objects.order_by("name"):
        tags = [str(t) for t in rich_object.tags]
        if wanted_tag and wanted_tag not in tags:
            continue
        if needle and not (
            needle in rich_object.name.lower() or any(needle in t for t in tags)
        ):
            continue
        found.append(rich_object)
    return found


def rich_object_get_for_admin(
    *, business: Business, object_id: int
) -> RichObject | None:
    """One object of ``business`` by id, whatever its state (another tenant's: None)."""
    return (
        RichObject.objects.filter(business=business, pk=object_id)
        .select_related("current_version", "published_version")
        .first()
    )


def library_emptiness(*, user: User, business_id: int) -> dict[str, Any] | None:
    """Why the picker may show nothing in ``business_id``'s library, for ``user``.

    None when the user is not a member. ``sendable`` counts what they may send;
    admins also hear how many drafts wait to be published.
    """
    membership = Membership.objects.filter(user=user, business_id=business_id).first()
    if membership is None:
        return None
    is_admin = membership.role == Membership.Role.ADMIN
    sendable = len(rich_object_list_for_user(user=user, business_id=business_id))
    drafts = (
        RichObject.objects.filter(
            business_id=business_id, state=RichObject.State.DRAFT
        ).count()
        if is_admin
        else 0
    )
    return {"sendable": sendable, "drafts": drafts, "is_admin": is_admin}
