"""Sign-in sessions: they expire when idle, and their owner can end them.

Idle expiry is Django's own: ``SESSION_COOKIE_AGE`` is the idle time and the
session is saved (so its expiry moves on) at most once per ``TOUCH_EVERY`` of
activity; the stored time of the last touch also ends a session that outlived
the idle time between touches. Ending one deletes it from the session store
and closes the sockets opened with it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext

from conversations import realtime
from conversations.exceptions import NotFoundError
from conversations.types import User

from . import audit
from .context import request_address
from .models import UserSession

TOUCH_EVERY = timedelta(minutes=1)
LAST_SEEN = "_trust_last_seen"


def idle_limit() -> timedelta:
    return timedelta(seconds=settings.SESSION_COOKIE_AGE)


def session_track(request: HttpRequest, user: User) -> None:
    key = request.session.session_key
    if not key:
        return
    now = timezone.now()
    request.session[LAST_SEEN] = now.timestamp()
    UserSession.objects.update_or_create(
        session_key=key,
        defaults={
            "user": user,
            "last_seen_at": now,
            "address": request_address(request),
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:300],
        },
    )


def session_forget(session_key: str | None) -> None:
    if session_key:
        UserSession.objects.filter(session_key=session_key).delete()


def session_end(*, user: User, session_id: int) -> None:
    """End one of ``user``'s sessions: signed out there, its sockets closed."""
    row = UserSession.objects.filter(pk=session_id, user=user).first()
    if row is None:
        raise NotFoundError(gettext("No such session."))
    store = import_module(settings.SESSION_ENGINE).SessionStore
    store(session_key=row.session_key).delete()
    realtime.session_sockets_close_on_commit(row.session_key)
    row.delete()
    audit.record_account(
        action="session.ended",
        user=user,
        target_type="trust.usersession",
        target_id=session_id,
        target_label=f"{row.user_agent[:80]} from {row.address or '?'}",
    )


class IdleSessionMiddleware:
    """Sign out a session idle longer than the limit; keep the live ones alive."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user: Any = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            now = timezone.now()
            last = request.session.get(LAST_SEEN)
            if (
                last is not None
                and now.timestamp() - float(last) > idle_limit().total_seconds()
            ):
                session_forget(request.session.session_key)
                logout(request)
            elif (
                last is None
                or now.timestamp() - float(last) > TOUCH_EVERY.total_seconds()
            ):
                session_track(request, user)
        return self.get_response(request)
