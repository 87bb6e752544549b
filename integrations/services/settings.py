"""Channel settings an admin saves: OAuth provider, Apple Pay merchant, webhook
endpoints. URLs a tenant sets must be public (the safe HTTP client refuses the rest)."""

from __future__ import annotations

import logging
from typing import Any

from django.utils.translation import gettext

from conversations import safe_http
from conversations.exceptions import (
    ApplicationError,
    NotFoundError,
)
from conversations.models import Business
from conversations.permissions import business_admin_check
from conversations.types import User

from ..crypto import webhook_secret_new
from ..models import (
    ApplePayMerchant,
    OAuthProvider,
    WebhookEndpoint,
)

logger = logging.getLogger(__name__)


# --- channel settings ------------------------------------------------------------------------


def _require_public_url(url: str | None) -> None:
    """URLs this server will call are refused when saved, not only when called."""
    if not url:
        return
    try:
        safe_http.check_url(url)
    except safe_http.UnsafeAddress as exc:
        raise ApplicationError(
            gettext(
                "This address is not on the public internet; this server will not call it."
            ),
            code="unsafe_url",
        ) from exc


def oauth_provider_save(
    *,
    business: Business,
    actor: User,
    fields: dict[str, Any],
    client_secret: str = "",
) -> OAuthProvider:
    """Create or update the provider; an empty ``client_secret`` keeps the stored one."""
    business_admin_check(business=business, actor=actor)
    _require_public_url(fields.get("token_url"))
    provider = OAuthProvider.objects.filter(business=business).first() or OAuthProvider(
        business=business
    )
    for name, value in fields.items():
        setattr(provider, name, value)
    if client_secret:
        provider.client_secret = client_secret
    provider.save()
    logger.info(
        "integrations.oauth_saved", extra={"business": business.id, "actor": actor.pk}
    )
    return provider


def apple_pay_save(
    *,
    business: Business,
    actor: User,
    fields: dict[str, Any],
    private_key_pem: str = "",
    processor_secret: str = "",
) -> ApplePayMerchant:
    """Create or update the merchant; empty secrets keep the stored ones."""
    business_admin_check(business=business, actor=actor)
    _require_public_url(fields.get("processor_url"))
    merchant = ApplePayMerchant.objects.filter(
        business=business
    ).first() or ApplePayMerchant(business=business)
    for name, value in fields.items():
        setattr(merchant, name, value)
    if private_key_pem:
        merchant.private_key_pem = private_key_pem
    if processor_secret:
        merchant.processor_secret = processor_secret
    merchant.save()
    logger.info(
        "integrations.apple_pay_saved",
        extra={"business": business.id, "actor": actor.pk},
    )
    return merchant


def webhook_endpoint_create(
    *,
    business: Business,
    actor: User,
    url: str,
    event_types: list[str],
    secret: str = "",
) -> tuple[WebhookEndpoint, str]:
    """Add an endpoint; returns it with its secret, shown to the admin this once."""
    business_admin_check(business=business, actor=actor)
    _require_public_url(url)
    unknown = set(event_types) - set(WebhookEndpoint.Event.values)
    if unknown or not event_types:
        raise ApplicationError(
            gettext("Choose at least one known event."), code="invalid_events"
        )
    secret = secret or webhook_secret_new()
    endpoint = WebhookEndpoint.objects.create(
        business=business, url=url, secret=secret, event_types=sorted(event_types)
    )
    return endpoint, secret


def webhook_endpoint_delete(
    *, business: Business, actor: User, endpoint_id: int
) -> None:
    business_admin_check(business=business, actor=actor)
    deleted, _ = WebhookEndpoint.objects.filter(
        business=business, id=endpoint_id
    ).delete()
    if not deleted:
        raise NotFoundError(gettext("No such webhook endpoint."))
