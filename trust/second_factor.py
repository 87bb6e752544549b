"""Second factor: TOTP (django-otp) with recovery codes.

Signing in with a device is two steps: the password step does not log in, it
remembers who passed it (``PENDING``) for a few minutes; the code step logs in
and marks the session verified. So a half-signed-in session never exists and
nothing (pages, APIs, sockets) can be reached with the password alone.
Members of a business that requires a second factor and who have no device are
sent to enrolment; API tokens do not use sessions and are not affected.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import login as auth_login
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django_otp import (
    DEVICE_ID_SESSION_KEY,
    devices_for_user,
    match_token,
    user_has_device,
)
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from conversations.models import Membership
from conversations.types import User

from . import audit
from .models import SecurityPolicy, UserSession
from .sessions import session_end

PENDING = "_trust_2fa_pending"
PENDING_SECONDS = 300
RECOVERY_CODES = 10
CHECKED = "_trust_2fa_checked"
RECHECK_SECONDS = 60


def second_factor_required(user: User) -> bool:
    return SecurityPolicy.objects.filter(
        require_second_factor=True,
        business__in=Membership.objects.filter(user=user).values("business"),
    ).exists()


def has_device(user: User) -> bool:
    return user_has_device(user, confirmed=True)


def pending_set(request: HttpRequest, user: User) -> None:
    request.session[PENDING] = {
        "user": user.pk,
        "backend": getattr(user, "backend", settings.AUTHENTICATION_BACKENDS[-1]),
        "at": time.time(),
    }


def pending_user(request: HttpRequest) -> tuple[User, str] | None:
    pending = request.session.get(PENDING)
    if not pending or time.time() - pending["at"] > PENDING_SECONDS:
        return None
    user = User.objects.filter(pk=pending["user"], is_active=True).first()
    return (user, pending["backend"]) if user else None


def verify(request: HttpRequest, user: User, backend: str | None, token: str) -> bool:
    """Check ``token`` (a TOTP code or a recovery code); on success sign in."""
    device = match_token(user, token.replace(" ", "").strip())
    if device is None:
        audit.AuditEntry.objects.create(
            action="auth.second_factor_failed",
            actor_id=user.pk,
            actor_label=user.get_username(),
            via="console",
            address=request.META.get("REMOTE_ADDR") or None,
            target_type="auth.user",
            target_id=str(user.pk),
            target_label=user.get_username(),
        )
        return False
    if not request.user.is_authenticated:
        request.session.pop(PENDING, None)
        auth_login(request, user, backend=backend)
    otp_login(request, device)
    return True


def totp_device_draft(user: User) -> TOTPDevice:
    """The device being enrolled: unconfirmed until a first code matches."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(
        user=user, name="Authenticator", confirmed=False
    )


def totp_enrol(request: HttpRequest, user: User, token: str) -> list[str] | None:
    """Confirm the draft device with ``token``; returns fresh recovery codes."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None or not device.verify_token(token.replace(" ", "").strip()):
        return None
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=True).delete()
        device.confirmed = True
        device.save()
        codes = recovery_codes_renew(user)
        audit.record_account(
            action="second_factor.enrolled",
            user=user,
            target=user,
            target_label=user.get_username(),
        )
    otp_login(request, device)
    # Sessions signed in before the device existed never passed it.
    others = UserSession.objects.filter(user=user).exclude(
        session_key=request.session.session_key or ""
    )
    for row in others:
        session_end(user=user, session_id=row.pk)
    return codes


def recovery_codes_renew(user: User) -> list[str]:
    device, _ = StaticDevice.objects.get_or_create(user=user, name="Recovery codes")
    device.confirmed = True
    device.save()
    device.token_set.all().delete()
    # 48 random bits each, grouped for reading; StaticToken holds 16 characters.
    hexes = [secrets.token_hex(6) for _ in range(RECOVERY_CODES)]
    codes = [f"{h[:4]}-{h[4:8]}-{h[8:]}" for h in hexes]
    StaticToken.objects.bulk_create(
        [StaticToken(device=device, token=c) for c in codes]
    )
    return codes


def devices(user: User) -> list[Any]:
    return list(devices_for_user(user, confirmed=True))


def second_factor_owed(request: HttpRequest, user: User) -> str | None:
    """Where ``user`` must go first (verify or enrol), or None; a clean answer is
    kept in the session for a minute, so pages do not ask on every request."""
    checked = request.session.get(CHECKED)
    if checked and time.time() - checked < RECHECK_SECONDS:
        return None
    if has_device(user):
        return "trust:second-factor-verify"
    if second_factor_required(user):
        return "trust:second-factor-setup"
    request.session[CHECKED] = time.time()
    return None


def socket_gate(user: Any, session: Any) -> bool:
    """Sockets follow the pages: no live events before the second factor."""
    if has_device(user):
        return session is not None and session.get(DEVICE_ID_SESSION_KEY) is not None
    return not second_factor_required(user)


ALLOWED_PREFIXES = ("/accounts/", "/static/", "/favicon.ico")


class SecondFactorMiddleware:
    """Send a signed-in person who owes a second factor to verify or enrol."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user: Any = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and hasattr(request, "session")
            and not request.path.startswith(ALLOWED_PREFIXES)
            and not user.is_verified()
        ):
            where = second_factor_owed(request, user)
            if where:
                if request.path.startswith("/api/"):
                    return JsonResponse(
                        {
                            "detail": "A second factor is required.",
                            "code": "second_factor",
                        },
                        status=403,
                    )
                return redirect(where)
        return self.get_response(request)
