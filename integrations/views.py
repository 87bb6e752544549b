"""Integration settings pages (business admins only), the Apple Pay payment
gateway the device posts to, and the OAuth redirect landing."""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.core import is_ratelimited

from conversations.exceptions import ApplicationError, ConflictError, NotFoundError
from conversations.models import Business
from conversations.permissions import admin_required
from conversations.types import AuthenticatedHttpRequest

from . import selectors, services
from .forms import ApplePayForm, OAuthProviderForm, WebhookEndpointForm
from .models import ApplePayMerchant, OAuthProvider

logger = logging.getLogger(__name__)
MAX_PAYMENT_BODY_BYTES = 256 * 1024


def _context(business: Business, **extra: object) -> dict[str, object]:
    return {"business": business, **extra}


@admin_required
@require_http_methods(["GET", "POST"])
def oauth_settings(
    request: AuthenticatedHttpRequest, business: Business
) -> HttpResponse:
    instance = OAuthProvider.objects.filter(business=business).first()
    form = OAuthProviderForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        secret = data.pop("client_secret_new", "")
        services.oauth_provider_save(
            business=business,
            actor=request.user,
            fields=data,
            client_secret=secret,
        )
        messages.success(request, _("Sign-in provider saved."))
        return redirect("integrations:oauth", business_id=business.id)
    return render(
        request,
        "integrations/oauth.html",
        _context(business, section="oauth", form=form, saved=instance is not None),
        status=400 if form.errors else 200,
    )


@admin_required
@require_http_methods(["GET", "POST"])
def apple_pay_settings(
    request: AuthenticatedHttpRequest, business: Business
) -> HttpResponse:
    instance = ApplePayMerchant.objects.filter(business=business).first()
    form = ApplePayForm(request.POST or None, request.FILES or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        certificate = data.pop("certificate_file", "")
        key = data.pop("private_key_file", "")
        secret = data.pop("processor_secret_new", "")
        if certificate:
            data["certificate_pem"] = certificate
        services.apple_pay_save(
            business=business,
            actor=request.user,
            fields=data,
            private_key_pem=key,
            processor_secret=secret,
        )
        messages.success(request, _("Apple Pay settings saved."))
        return redirect("integrations:apple-pay", business_id=business.id)
    return render(
        request,
        "integrations/apple_pay.html",
        _context(
            business,
            section="apple_pay",
            form=form,
            merchant=instance,
            gateway_url=request.build_absolute_uri(
                f"/integrations/pay/{instance.gateway_token}/"
            )
            if instance
            else "",
        ),
        status=400 if form.errors else 200,
    )


@admin_required
@require_http_methods(["GET", "POST"])
def webhooks(request: AuthenticatedHttpRequest, business: Business) -> HttpResponse:
    form = WebhookEndpointForm(request.POST or None)
    new_secret = ""
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            _, new_secret = services.webhook_endpoint_create(
                business=business,
                actor=request.user,
                url=form.cleaned_data["url"],
                event_types=form.cleaned_data["event_types"],
                secret=form.cleaned_data["secret"],
            )
        except ApplicationError as exc:
            error = exc.message
        else:
            form = WebhookEndpointForm()
    return render(
        request,
        "integrations/webhooks.html",
        _context(
            business,
            section="webhooks",
            form=form,
            error=error,
            new_secret=new_secret,
            endpoints=selectors.webhook_endpoint_list(business=business),
            deliveries=selectors.webhook_delivery_list(business=business),
        ),
        status=400 if (form.errors or error) else 200,
    )


@admin_required
@require_POST
def webhook_delete(
    request: AuthenticatedHttpRequest, business: Business, endpoint_id: int
) -> HttpResponse:
    try:
        services.webhook_endpoint_delete(
            business=business, actor=request.user, endpoint_id=endpoint_id
        )
    except NotFoundError as exc:
        raise Http404(exc.message) from exc
    messages.success(request, _("Endpoint deleted."))
    return redirect("integrations:webhooks", business_id=business.id)


@admin_required
@require_POST
def webhook_test(
    request: AuthenticatedHttpRequest, business: Business, endpoint_id: int
) -> HttpResponse:
    try:
        services.webhook_test_send(
            business=business, actor=request.user, endpoint_id=endpoint_id
        )
    except NotFoundError as exc:
        raise Http404(exc.message) from exc
    messages.success(
        request, _("Test event queued: its delivery shows in the log below.")
    )
    return redirect(_delivery_log(business))


@admin_required
@require_POST
def webhook_redeliver(
    request: AuthenticatedHttpRequest, business: Business, delivery_id: int
) -> HttpResponse:
    try:
        services.webhook_redeliver(
            business=business, actor=request.user, delivery_id=delivery_id
        )
    except NotFoundError as exc:
        raise Http404(exc.message) from exc
    except ConflictError:
        messages.error(request, _("This delivery is still being sent."))
    else:
        messages.success(request, _("Delivery queued again, with the same event id."))
    return redirect(_delivery_log(business))


def _delivery_log(business: Business) -> str:
    return reverse("integrations:webhooks", args=[business.id]) + "#delivery-log"


@csrf_exempt
@require_POST
def pay(request: HttpRequest, token: str) -> JsonResponse:
    """Apple Pay's ``paymentGatewayUrl``: the device posts the payment token here
    and waits for ``{"status": …}`` (spec §7.5)."""
    # Anyone may post here (the business-wide URL is in every library object
    # that asks for a payment): each post can reach the processor, so few per address.
    if is_ratelimited(
        request,
        group="integrations.pay",
        key="ip",
        rate=settings.PAYMENT_GATEWAY_RATE_LIMIT,
        method="POST",
        increment=True,
    ):
        return JsonResponse({"status": "STATUS_FAILURE"}, status=429)
    if len(request.body) > MAX_PAYMENT_BODY_BYTES:
        return JsonResponse({"status": "STATUS_FAILURE"}, status=413)
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return JsonResponse({"status": "STATUS_FAILURE"}, status=400)
    if not isinstance(body, dict):
        return JsonResponse({"status": "STATUS_FAILURE"}, status=400)
    try:
        status = services.payment_authorize(token=token, body=body)
    except NotFoundError:
        return JsonResponse({"status": "STATUS_FAILURE"}, status=404)
    except ConflictError:
        return JsonResponse({"status": "STATUS_FAILURE"}, status=409)
    return JsonResponse({"status": status})


@require_GET
def oauth_redirect(request: HttpRequest) -> HttpResponse:
    # The device captures the code from this redirect; a browser that lands
    # here anyway only needs to know it can go back to Messages.
    return render(request, "integrations/oauth_redirect.html")
