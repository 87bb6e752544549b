"""Read-mostly admin for support staff; secrets are never shown or editable here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from conversations.admin_scope import BusinessScopedAdmin
from conversations.safe_http import validate_public_url

from .models import (
    ApplePayMerchant,
    CustomerIdentity,
    OAuthProvider,
    Payment,
    SigninRequest,
    WebhookDelivery,
    WebhookEndpoint,
)


class _IntegrationAdmin(BusinessScopedAdmin):
    def formfield_for_dbfield(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> Any:
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        # URLs this server calls are refused here as in the console's forms.
        if field is not None and db_field.name in ("url", "token_url", "processor_url"):
            field.validators.append(validate_public_url)
        return field


@admin.register(OAuthProvider)
class OAuthProviderAdmin(_IntegrationAdmin):
    list_display = ["business", "title", "client_id", "token_url", "updated_at"]
    exclude = ["client_secret", "library_key_pem"]


@admin.register(ApplePayMerchant)
class ApplePayMerchantAdmin(_IntegrationAdmin):
    list_display = ["business", "merchant_identifier", "merchant_name", "updated_at"]
    exclude = ["private_key_pem", "processor_secret"]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(_IntegrationAdmin):
    list_display = ["business", "url", "is_active", "created_at"]
    exclude = ["secret"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(BusinessScopedAdmin):
    list_display = [
        "event",
        "endpoint",
        "status",
        "attempts",
        "response_code",
        "created_at",
    ]
    list_filter = ["status", "event"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]


@admin.register(Payment)
class PaymentAdmin(BusinessScopedAdmin):
    list_display = ["business", "amount", "currency", "status", "created_at"]
    list_filter = ["status"]
    readonly_fields = [f.name for f in Payment._meta.fields]


@admin.register(SigninRequest)
class SigninRequestAdmin(BusinessScopedAdmin):
    list_display = ["business", "conversation", "legacy", "status", "created_at"]
    exclude = ["private_key_pem", "state"]


@admin.register(CustomerIdentity)
class CustomerIdentityAdmin(BusinessScopedAdmin):
    list_display = ["customer", "external_user_id", "display_name", "linked_at"]
    exclude = ["access_token"]
