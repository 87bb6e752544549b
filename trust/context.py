"""The request being served, so that what it writes can be told who and where.

Set by ``AuditContextMiddleware`` for the length of one request; DRF's token
authentication sets ``user`` and ``auth`` on the Django request too, so a write
through the API is attributed to the token's owner.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse

_current: ContextVar[HttpRequest | None] = ContextVar("trust_request", default=None)


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    label: str
    via: str
    address: str | None
    user_agent: str


# The product itself acting (routing's auto-assignment), even while some
# request is being served (eager tasks run inside one).
SYSTEM = Actor(user_id=None, label="", via="system", address=None, user_agent="")


def current_request() -> HttpRequest | None:
    return _current.get()


def request_actor(request: HttpRequest | None) -> Actor | None:
    """Who is acting in ``request``: None when nobody signed in (or no request)."""
    if request is None:
        return None
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    via = "api" if getattr(request, "auth", None) is not None else "console"
    return Actor(
        user_id=user.pk,
        label=user.get_username(),
        via=via,
        address=request_address(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
    )


def request_address(request: HttpRequest) -> str | None:
    # The proxy in front rewrites REMOTE_ADDR (gunicorn's FORWARDED_ALLOW_IPS).
    return request.META.get("REMOTE_ADDR") or None


class AuditContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _current.set(request)
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)
