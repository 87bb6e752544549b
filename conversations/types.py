"""Who is asking: the user model and requests that passed authentication.

Settings keep Django's own user model (no AUTH_USER_MODEL), so `User` is it.
Views behind `login_required` and APIs behind DRF's default `IsAuthenticated`
annotate their request with these classes: past that gate `request.user` is a
signed-in `User`, never `AnonymousUser`, and services take a `User`.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest
from rest_framework.request import Request

__all__ = ["AuthenticatedHttpRequest", "AuthenticatedRequest", "User"]


class AuthenticatedHttpRequest(HttpRequest):
    """A console request behind `login_required`."""

    user: User


class AuthenticatedRequest(Request):
    """An API request behind `IsAuthenticated` (the default permission class)."""

    user: User
