"""Reads of the rich-object library for the console picker and the bot API."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from conversations.models import Business

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
