"""Pages of the second factor: sign-in in two steps, enrolment, the business's rule."""

from __future__ import annotations

from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext

from conversations.models import Business
from conversations.permissions import admin_required
from conversations.types import AuthenticatedHttpRequest

from . import audit
from .models import SecurityPolicy
from .second_factor import (
    devices,
    has_device,
    pending_set,
    pending_user,
    recovery_codes_renew,
    second_factor_required,
    totp_device_draft,
    totp_enrol,
    verify,
)


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/console/"
    if not url_has_allowed_host_and_scheme(
        target, {request.get_host()}, request.is_secure()
    ):
        return "/console/"
    return target


class SignInView(auth_views.LoginView):
    """The password step; with a device it hands over to the code step."""

    def form_valid(self, form: Any) -> HttpResponse:
        user = form.get_user()
        if has_device(user):
            pending_set(self.request, user)
            return redirect(f"/accounts/2fa/verify/?next={_next(self.request)}")
        return super().form_valid(form)


def second_factor_verify(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        user, backend = request.user, None
        # OTPMiddleware adds is_verified to the user.
        if request.user.is_verified():  # type: ignore[attr-defined]
            return redirect(_next(request))
    else:
        pending = pending_user(request)
        if pending is None:
            return redirect("login")
        user, backend = pending
    error = ""
    if request.method == "POST":
        if verify(request, user, backend, request.POST.get("token", "")):
            return redirect(_next(request))
        error = gettext(
            "That code is not valid. Try the current code, or a recovery code."
        )
    return render(
        request,
        "trust/second_factor_verify.html",
        {"error": error, "next": _next(request)},
        status=400 if error else 200,
    )


@login_required
def second_factor_setup(request: AuthenticatedHttpRequest) -> HttpResponse:
    error = ""
    if request.method == "POST":
        codes = totp_enrol(request, request.user, request.POST.get("token", ""))
        if codes is not None:
            return render(request, "trust/second_factor_codes.html", {"codes": codes})
        error = gettext(
            "That code did not match. Check the time on your phone and try the next code."
        )
    device = totp_device_draft(request.user)
    qr = segno.make(device.config_url, error="m")
    return render(
        request,
        "trust/second_factor_setup.html",
        {
            "qr": qr.png_data_uri(scale=5, border=2),
            "secret": device.config_url.split("secret=")[1].split("&")[0],
            "error": error,
            "enrolled": has_device(request.user),
            "required": second_factor_required(request.user),
            "devices": devices(request.user),
        },
        status=400 if error else 200,
    )


@login_required
def recovery_codes(request: AuthenticatedHttpRequest) -> HttpResponse:
    if request.method != "POST" or not request.user.is_verified():  # type: ignore[attr-defined]
        return redirect("trust:second-factor-setup")
    return render(
        request,
        "trust/second_factor_codes.html",
        {"codes": recovery_codes_renew(request.user)},
    )


MAX_RETENTION_DAYS = 36500


@admin_required
def security_policy(request: HttpRequest, business: Business) -> HttpResponse:
    policy, _ = SecurityPolicy.objects.get_or_create(business=business)
    if request.method == "POST":
        policy.require_second_factor = request.POST.get("require_second_factor") == "on"
        days = request.POST.get("retention_days", "").strip()
        if days and (not days.isdigit() or not 1 <= int(days) <= MAX_RETENTION_DAYS):
            context = {
                "business": business,
                "policy": policy,
                "error": gettext(
                    "Keep conversations for 1 to 36500 days, or leave it blank."
                ),
            }
            return render(request, "trust/security.html", context, status=400)
        policy.retention_days = int(days) if days else None
        policy.save()
        messages.success(request, gettext("Saved."))
        return redirect("trust:security", business.pk)
    return render(
        request, "trust/security.html", {"business": business, "policy": policy}
    )


class PasswordResetConfirm(auth_views.PasswordResetConfirmView):
    """Django's reset step, recorded in the audit log (never signs in: the
    second factor still stands between the new password and the console)."""

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        user = form.user
        audit.record_account(
            action="auth.password_reset",
            user=user,
            target=user,
            target_label=user.get_username(),
            actor_id=user.pk,
            actor_label=user.get_username(),
        )
        return response
