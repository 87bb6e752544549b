"""Reads for other apps: the settings a rich-object sender needs, and who a
customer signed in as. Secrets never leave through these."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.urls import reverse

from conversations.models import Business, Conversation, Customer, Membership
from conversations.types import User
from richobjects.builders import MerchantSettings

from .models import (
    ApplePayMerchant,
    CustomerIdentity,
    OAuthProvider,
    Payment,
    WebhookDelivery,
    WebhookEndpoint,
)


@dataclass(frozen=True)
class OAuthProviderSettings:
    """What an authentication request needs from the provider (never its secret)."""

    title: str
    client_id: str
    authorize_url: str
    token_url: str
    scope: tuple[str, ...]
    response_type: str


def absolute_url(path: str, base_url: str | None = None) -> str:
    """``path`` on our public address; ``base_url`` (a request's) wins over the setting."""
    base = (base_url or settings.PUBLIC_BASE_URL or "").rstrip("/")
    return f"{base}{path}"


def oauth_provider_for(business: Business) -> OAuthProviderSettings | None:
    provider = OAuthProvider.objects.filter(business=business).first()
    if provider is None:
        return None
    return OAuthProviderSettings(
        title=provider.title,
        client_id=provider.client_id,
        authorize_url=provider.authorize_url,
        token_url=provider.token_url,
        scope=tuple(provider.scope.split()),
        response_type=provider.response_type,
    )


def merchant_to_settings(
    merchant: ApplePayMerchant, *, payment_gateway_url: str
) -> MerchantSettings:
    return MerchantSettings(
        merchant_identifier=merchant.merchant_identifier,
        merchant_name=merchant.merchant_name,
        country_code=merchant.country_code,
        currency_code=merchant.currency_code,
        payment_gateway_url=payment_gateway_url,
        supported_networks=tuple(merchant.supported_networks),
        merchant_capabilities=tuple(merchant.merchant_capabilities),
        fallback_url=merchant.fallback_url,
    )


def merchant_settings_for(
    business: Business, *, base_url: str | None = None
) -> MerchantSettings | None:
    """The business's Apple Pay settings for ``richobjects.builders.build_apple_pay``.

    The gateway URL here names the business; ``services.payment_request_prepare``
    gives a per-request one instead, which ties the payment to its conversation
    and amount: every bubble is built on that one. The business-wide URL still
    takes payments for bubbles sent before (``services.payment_authorize``).
    """
    merchant = ApplePayMerchant.objects.filter(business=business).first()
    if merchant is None:
        return None
    path = reverse("integrations:pay", kwargs={"token": merchant.gateway_token})
    return merchant_to_settings(
        merchant, payment_gateway_url=absolute_url(path, base_url)
    )


def identity_for_conversation(conversation: Conversation) -> CustomerIdentity | None:
    return CustomerIdentity.objects.filter(customer_id=conversation.customer_id).first()


def identity_data_for_customer(customer: Customer) -> dict[str, Any] | None:
    """The profile's "signed in as" field: never the access token."""
    identity = CustomerIdentity.objects.filter(customer_id=customer.pk).first()
    if identity is None:
        return None
    return {
        "external_user_id": identity.external_user_id,
        "name": identity.display_name,
        "provider": identity.provider_title,
        "label": identity.label,
        "linked_at": identity.linked_at.isoformat(),
    }


def payment_list_for_conversation(conversation: Conversation) -> list[Payment]:
    return list(
        Payment.objects.filter(conversation=conversation).exclude(
            status=Payment.Status.PENDING
        )[:5]
    )


def is_business_admin(*, user: User, business_id: int) -> bool:
    return Membership.objects.filter(
        user=user, business_id=business_id, role=Membership.Role.ADMIN
    ).exists()


def webhook_endpoint_list(*, business: Business) -> list[WebhookEndpoint]:
    return list(WebhookEndpoint.objects.filter(business=business).order_by("id"))


def webhook_delivery_list(
    *, business: Business, limit: int = 100
) -> list[WebhookDelivery]:
    return list(
        WebhookDelivery.objects.filter(endpoint__business=business).select_related(
            "endpoint"
        )[:limit]
    )
