"""What the simulator remembers: simulated customers, the traffic both ways, uploaded files."""

from __future__ import annotations

import secrets
import uuid

from django.db import models


def _new_key() -> str:
    return secrets.token_hex(16)


def new_opaque_id() -> str:
    """A customer opaque id in Apple's form (``urn:mbid:`` and an opaque token)."""
    return "urn:mbid:AQAAY" + secrets.token_urlsafe(48)


class SandboxCustomer(models.Model):
    """A simulated device of one customer talking to one business."""

    class Device(models.TextChoices):
        IPHONE = "iphone", "iPhone (iOS 18)"
        IPHONE_OLD = "iphone_old", "Older iPhone (iOS 15)"
        MAC = "mac", "Mac"
        WATCH = "watch", "Apple Watch"

    # URL-safe handle for the page and its WebSocket; the opaque id holds ':'
    # which a channel-layer group name cannot.
    key = models.CharField(max_length=32, unique=True, default=_new_key)
    opaque_id = models.CharField(max_length=255, default=new_opaque_id)
    business_apple_id = models.CharField(max_length=64)
    display_name = models.CharField(max_length=100, blank=True)
    device = models.CharField(
        max_length=16, choices=Device.choices, default=Device.IPHONE
    )
    locale = models.CharField(max_length=16, default="en_US")
    intent = models.CharField(max_length=255, blank=True)
    group = models.CharField(max_length=255, blank=True)
    prefilled_body = models.TextField(blank=True)
    # The entry point's intent/group ride on the first message only (spec §10).
    entry_point_sent = models.BooleanField(default=False)
    # Set by a `close`, cleared when the customer writes again: Apple refuses
    # business messages in between.
    closed = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["business_apple_id", "opaque_id"],
                name="sandbox_one_device_per_id",
            )
        ]
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.display_name or self.opaque_id[:24]


class SandboxMessage(models.Model):
    """One message on the simulated device, in either direction, as it went over the wire."""

    class Direction(models.TextChoices):
        FROM_CUSTOMER = "in", "Customer to business"
        FROM_BUSINESS = "out", "Business to customer"

    customer = models.ForeignKey(
        SandboxCustomer, on_delete=models.CASCADE, related_name="messages"
    )
    apple_id = models.CharField(max_length=64)
    direction = models.CharField(max_length=3, choices=Direction.choices)
    type = models.CharField(max_length=32)
    body = models.JSONField(default=dict)
    # Status our /message answered with (customer side) or 200 (gateway side).
    delivery_status = models.PositiveSmallIntegerField(null=True, blank=True)
    delivery_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.direction} {self.type} {self.apple_id}"


class SandboxUpload(models.Model):
    """An encrypted file held by the simulated MMCS, as preUpload/upload/preDownload see it."""

    token = models.UUIDField(default=uuid.uuid4, unique=True)
    owner = models.CharField(max_length=100)
    declared_size = models.PositiveBigIntegerField()
    size = models.PositiveBigIntegerField(null=True, blank=True)
    checksum = models.CharField(
        max_length=64, blank=True
    )  # Base64, Apple's fileChecksum
    path = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return str(self.token)

    @property
    def mmcs_url(self) -> str:
        return f"https://mmcs.sandbox.invalid/{self.token}"

    @property
    def uploaded(self) -> bool:
        return self.size is not None
