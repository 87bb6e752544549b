"""Per-business integration settings and what they produce: sign-ins, payments,
outbound webhook deliveries. Secrets are ``EncryptedTextField`` (Fernet at rest)."""

from __future__ import annotations

import secrets
import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from .crypto import EncryptedTextField

DEFAULT_NETWORKS = ["amex", "discover", "masterCard", "visa"]
DEFAULT_CAPABILITIES = ["supports3DS", "supportsCredit", "supportsDebit"]


def new_url_token() -> str:
    return secrets.token_urlsafe(24)


def default_networks() -> list[str]:
    return list(DEFAULT_NETWORKS)


def default_capabilities() -> list[str]:
    return list(DEFAULT_CAPABILITIES)


class OAuthProvider(models.Model):
    """The business's OAuth 2 provider for the sign-in rich object (spec §7.6, §9)."""

    business = models.OneToOneField(
        "conversations.Business",
        on_delete=models.CASCADE,
        related_name="oauth_provider",
    )
    title = models.CharField(max_length=200)
    client_id = models.CharField(max_length=255)
    client_secret = EncryptedTextField(blank=True)
    authorize_url = models.URLField(max_length=500)
    token_url = models.URLField(max_length=500)
    # Space-separated, as OAuth writes it.
    scope = models.CharField(max_length=500, blank=True)
    response_type = models.CharField(max_length=32, default="code")
    # The bubble the customer sees once signed in (Apple's replyMessage);
    # empty means the builder's default, "You signed in".
    reply_title = models.CharField(
        "Signed-in bubble", max_length=200, blank=True, default="You signed in"
    )
    # A P-384 key for old-AUTH requests sent from the rich-object library, which
    # has no per-request key of its own (integrations' own requests do).
    library_key_pem = EncryptedTextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.title} for {self.business_id}"


class ApplePayMerchant(models.Model):
    """Apple Pay merchant settings of one business (spec §7.5, §9)."""

    business = models.OneToOneField(
        "conversations.Business", on_delete=models.CASCADE, related_name="apple_pay"
    )
    merchant_identifier = models.CharField(max_length=255)
    merchant_name = models.CharField(max_length=200)
    verified_domain = models.CharField(max_length=255, blank=True)
    # The certificate is public; its private key is the secret.
    certificate_pem = models.TextField(blank=True)
    private_key_pem = EncryptedTextField(blank=True)
    processor_url = models.URLField(max_length=500)
    processor_secret = EncryptedTextField(blank=True)
    fallback_url = models.URLField(max_length=500, blank=True)
    supported_networks = models.JSONField(default=default_networks)
    merchant_capabilities = models.JSONField(default=default_capabilities)
    country_code = models.CharField(max_length=2, default="US")
    currency_code = models.CharField(max_length=3, default="USD")
    # Names the business in its payment gateway URL when no per-request URL is used.
    gateway_token = models.CharField(max_length=64, unique=True, default=new_url_token)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.merchant_identifier} for {self.business_id}"


class WebhookEndpoint(models.Model):
    """A business system that receives our events, HMAC-signed."""

    class Event(models.TextChoices):
        MESSAGE_CREATED = "message.created", _("New customer message")
        INTERACTIVE_REPLY = "interactive.reply", _("Reply to a rich object")
        CONVERSATION_CLOSED = "conversation.closed", _("Conversation closed")
        PAYMENT = "payment", _("Payment")
        SIGNIN = "signin", _("Sign-in")
        CSAT_ANSWERED = "csat.answered", _("Satisfaction survey answered")

    business = models.ForeignKey(
        "conversations.Business",
        on_delete=models.CASCADE,
        related_name="webhook_endpoints",
    )
    url = models.URLField(max_length=500)
    secret = EncryptedTextField()
    event_types = models.JSONField(default=list)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    """One event to one endpoint, with its attempts (saleor's EventDelivery)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERING = "delivering", _("Delivering")
        SUCCEEDED = "succeeded", _("Delivered")
        FAILED = "failed", _("Failed")

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.UUIDField(default=uuid.uuid4, unique=True)
    event = models.CharField(max_length=32)
    # What the event is about ("message:12"): a re-run emitter adds no second row.
    dedupe_key = models.CharField(max_length=100, blank=True)
    payload = models.JSONField(default=dict)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    response_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "event", "dedupe_key"],
                condition=~models.Q(dedupe_key=""),
                name="webhook_delivery_once_per_subject",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id} ({self.status})"


class SigninRequest(models.Model):
    """One sent authentication request: the state nonce to match and, for the old
    AUTH flow, the private key its token is encrypted to."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for the customer"
        LINKED = "linked", "Signed in"
        FAILED = "failed", "Failed"

    business = models.ForeignKey(
        "conversations.Business", on_delete=models.CASCADE, related_name="+"
    )
    conversation = models.ForeignKey(
        "conversations.Conversation",
        on_delete=models.CASCADE,
        related_name="signin_requests",
    )
    state = models.CharField(max_length=128, unique=True)
    request_identifier = models.CharField(max_length=64, db_index=True)
    legacy = models.BooleanField(default=False)
    private_key_pem = EncryptedTextField(blank=True)
    redirect_uri = models.URLField(max_length=500)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.PENDING
    )
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"sign-in {self.request_identifier} ({self.status})"


class CustomerIdentity(models.Model):
    """The business's own user a customer signed in as."""

    customer = models.OneToOneField(
        "conversations.Customer", on_delete=models.CASCADE, related_name="identity"
    )
    business = models.ForeignKey(
        "conversations.Business", on_delete=models.CASCADE, related_name="+"
    )
    external_user_id = models.CharField(max_length=255)
    display_name = models.CharField(max_length=255, blank=True)
    provider_title = models.CharField(max_length=200, blank=True)
    access_token = EncryptedTextField(blank=True)
    linked_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.customer_id} = {self.external_user_id}"

    @property
    def label(self) -> str:
        if self.display_name and self.display_name != self.external_user_id:
            return f"{self.display_name} ({self.external_user_id})"
        return self.external_user_id


class Payment(models.Model):
    """An Apple Pay payment: the token the device posted and the processor's answer."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for the customer"
        SUCCEEDED = "succeeded", "Paid"
        FAILED = "failed", "Failed"

    business = models.ForeignKey(
        "conversations.Business", on_delete=models.CASCADE, related_name="payments"
    )
    conversation = models.ForeignKey(
        "conversations.Conversation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="payments",
    )
    # The secret path segment of this payment's gateway URL.
    token = models.CharField(max_length=64, unique=True, default=new_url_token)
    request_identifier = models.CharField(max_length=64, blank=True, db_index=True)
    amount = models.CharField(max_length=32, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.PENDING
    )
    processor_status = models.CharField(max_length=64, blank=True)
    transaction_identifier = models.CharField(max_length=128, blank=True)
    payment_method = models.CharField(max_length=100, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            # One device token pays once: the same token never reaches the
            # processor for a second payment of the business.
            models.UniqueConstraint(
                fields=["business", "transaction_identifier"],
                condition=~models.Q(transaction_identifier=""),
                name="one_payment_per_device_token",
            )
        ]

    def __str__(self) -> str:
        return f"payment {self.pk} {self.amount} {self.currency} ({self.status})"
