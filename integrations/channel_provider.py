"""The library's door into channel settings: Apple Pay and OAuth inputs for sends.

Registered with ``richobjects.channel`` at start-up, so the library builds
payment and sign-in bubbles without importing this app.
"""

from __future__ import annotations

from django.urls import reverse

from conversations.models import Business, Conversation
from richobjects.builders import MerchantSettings
from richobjects.channel import ChannelSummary, OAuthSettings, PreparedPayment

from . import selectors, services
from .models import ApplePayMerchant, OAuthProvider


class IntegrationsChannelProvider:
    def merchant_settings_for(
        self, business: Business, *, base_url: str | None = None
    ) -> MerchantSettings | None:
        return selectors.merchant_settings_for(business, base_url=base_url)

    def payment_prepare(
        self,
        *,
        conversation: Conversation,
        request_identifier: str,
        amount: str,
        base_url: str | None = None,
    ) -> PreparedPayment:
        prepared = services.payment_request_prepare(
            conversation=conversation,
            request_identifier=request_identifier,
            amount=amount,
            base_url=base_url,
        )
        return PreparedPayment(
            payment_id=prepared.payment_id,
            merchant=prepared.merchant,
            merchant_session=prepared.merchant_session,
        )

    def payment_abandon(self, *, payment_id: int, reason: str) -> None:
        services.payment_request_abandon(payment_id=payment_id, reason=reason)

    def oauth_settings_for(
        self, business: Business, *, base_url: str | None = None
    ) -> OAuthSettings | None:
        inputs = services.oauth_library_inputs(business, base_url=base_url)
        if inputs is None:
            return None
        return OAuthSettings(
            redirect_uri=inputs.redirect_uri,
            scope=inputs.scope,
            response_encryption_key=inputs.response_encryption_key,
        )

    def channel_summary(self, business: Business) -> ChannelSummary:
        merchant = ApplePayMerchant.objects.filter(business=business).first()
        oauth = OAuthProvider.objects.filter(business=business).first()
        return ChannelSummary(
            merchant_name=merchant.merchant_name if merchant else "",
            merchant_identifier=merchant.merchant_identifier if merchant else "",
            currency_code=merchant.currency_code if merchant else "",
            oauth_title=oauth.title if oauth else "",
            oauth_scope=tuple(oauth.scope.split()) if oauth else (),
            merchant_settings_url=reverse("integrations:apple-pay", args=[business.pk]),
            oauth_settings_url=reverse("integrations:oauth", args=[business.pk]),
        )
