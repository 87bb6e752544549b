"""Who may administer a business: one check for services, one decorator for pages.

People outside a business never learn it exists (404); its agents are told
only admins may do this (403).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext

from .exceptions import NotFoundError, PermissionDeniedError
from .models import Business, Membership

View = Callable[..., HttpResponse]


def business_admin_get(
    *, user: AbstractBaseUser | AnonymousUser, business_id: int
) -> Business:
    """The business, if ``user`` administers it.

    Raises ``NotFoundError`` outside the business, ``PermissionDeniedError`` for
    its agents.
    """
    membership = (
        Membership.objects.filter(user_id=user.pk or 0, business_id=business_id)
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


def business_admin_check(*, business: Business, actor: AbstractBaseUser) -> None:
    """Refuse ``actor`` unless they administer ``business``."""
    if not Membership.objects.filter(
        user_id=actor.pk, business=business, role=Membership.Role.ADMIN
    ).exists():
        raise PermissionDeniedError(
            gettext("Only the business's admins can change this.")
        )


def admin_required(view: View) -> View:
    """Resolve the ``business_id`` of the URL to a Business the user administers
    and pass it on: 404 outside it, 403 for its agents."""

    @wraps(view)
    def wrapper(
        request: HttpRequest, business_id: int, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        try:
            business = business_admin_get(user=request.user, business_id=business_id)
        except NotFoundError as exc:
            raise Http404(exc.message) from exc
        except PermissionDeniedError as exc:
            raise PermissionDenied(exc.message) from exc
        return view(request, business, *args, **kwargs)

    return login_required(wrapper)
