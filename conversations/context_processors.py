"""The console's navigation, the same on every page: the businesses the user
belongs to and those they administer (Settings links)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .models import Membership
from .selectors import membership_list_for_user


def navigation_of(memberships: Sequence[Membership]) -> dict[str, Any]:
    """The navigation for memberships a view already read (saves the query)."""
    return {
        "memberships": memberships,
        "admin_memberships": [
            m for m in memberships if m.role == Membership.Role.ADMIN
        ],
    }


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # Lazy: pages that never show the navigation (the sandbox, the API docs)
    # pay no query for it.
    memberships = SimpleLazyObject(lambda: membership_list_for_user(user=user))
    admin_memberships = SimpleLazyObject(
        lambda: [m for m in memberships if m.role == Membership.Role.ADMIN]
    )
    return {"memberships": memberships, "admin_memberships": admin_memberships}
