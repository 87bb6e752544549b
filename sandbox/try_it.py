""" "Send to a sandbox customer" from the library editor: the sandbox registers this
target with the library (``richobjects.extensions``) so the library never imports
the sandbox. The admin picks a simulated customer who has written to the business,
the saved (even unpublished) version goes out through the ordinary send path, and
the customer page opens to show the bubble and answer it."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from conversations.exceptions import (
    ApplicationError,
    NotFoundError,
    PermissionDeniedError,
)
from conversations.models import Business, Conversation
from conversations.permissions import business_admin_get
from conversations.types import AuthenticatedHttpRequest
from richobjects.selectors import rich_object_get_for_admin
from richobjects.services import rich_object_send

from .models import SandboxCustomer


def _conversations(business: Business) -> dict[str, Conversation]:
    """The business's conversations with sandbox customers, by sandbox key."""
    keys = dict(
        SandboxCustomer.objects.filter(business_apple_id=business.apple_id)
        .order_by("-id")
        .values_list("opaque_id", "key")[:200]
    )
    found = Conversation.objects.filter(
        business=business, customer__apple_id__in=list(keys)
    ).select_related("customer")
    return {keys[c.customer.apple_id]: c for c in found}


def sandbox_customer_choices(business: Business) -> list[tuple[str, str]]:
    """Sandbox customers who have a conversation with ``business``, newest first."""
    customers = {
        c.key: c
        for c in SandboxCustomer.objects.filter(business_apple_id=business.apple_id)
    }
    return [
        (key, f"{customers[key]} ({customers[key].get_device_display()})")
        for key in sorted(_conversations(business), key=lambda k: -customers[k].pk)
    ]


@login_required
@require_POST
def try_rich_object(
    request: AuthenticatedHttpRequest, business_id: int, object_id: int
) -> HttpResponse:
    try:
        business = business_admin_get(user=request.user, business_id=business_id)
    except NotFoundError as exc:
        raise Http404(exc.message) from exc
    except PermissionDeniedError as exc:
        raise PermissionDenied(exc.message) from exc
    rich_object = rich_object_get_for_admin(business=business, object_id=object_id)
    if rich_object is None or rich_object.current_version is None:
        raise Http404("No such object in this library.")
    key = request.POST.get("choice", "")
    conversation = _conversations(business).get(key)
    if conversation is None:
        return HttpResponse(
            "Choose a sandbox customer who has written to this business.",
            status=400,
            content_type="text/plain",
        )
    try:
        rich_object_send(
            conversation=conversation,
            object_or_version=rich_object.current_version,
            sender=request.user,
            base_url=request.build_absolute_uri("/"),
        )
    except ApplicationError as exc:
        return HttpResponse(exc.message, status=400, content_type="text/plain")
    return HttpResponseRedirect(reverse("sandbox:chat", args=[key]))
