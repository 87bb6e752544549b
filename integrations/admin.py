"""Read-mostly admin for support staff; secrets are never shown or editable here."""

from __future__ import annotations

from django.contrib import admin

from .models import (
    ApplePayMerchant,
    CustomerIdentity,
    OAuthProvider,
    Payment,
    SigninRequest,
    WebhookDelivery,
    WebhookEndpoint,
)


@admin.register(OAuthProvider)
class OAuthProviderAdmin(admin.ModelAdmin):
    list_display = ["business", "title", "client_id", "token_url", "updated_at"]
    exclude = ["client_secret", "library_key_pem"]


@admin.register(ApplePayMerchant)
class ApplePayMerchantAdmin(admin.ModelAdmin):
    list_display = ["business", "merchant_identifier", "merchant_name", "updated_at"]
    exclude = ["private_key_pem", "processor_secret"]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["business", "url", "is_active", "created_at"]
    exclude = ["secret"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
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
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["business", "amount", "currency", "status", "created_at"]
    list_filter = ["status"]
    readonly_fields = [f.name for f in Payment._meta.fields]


@admin.register(SigninRequest)
class SigninRequestAdmin(admin.ModelAdmin):
    list_display = ["business", "conversation", "legacy", "status", "created_at"]
    exclude = ["private_key_pem", "state"]


@admin.register(CustomerIdentity)
class CustomerIdentityAdmin(admin.ModelAdmin):
    list_display = ["customer", "external_user_id", "display_name", "linked_at"]
    exclude = ["access_token"]
