"""The audit log: who changed what, where from and when.

Rows hold ids and labels, not foreign keys: an entry outlives the person, the
business and the thing it names (an erased customer leaves its tombstone here).
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class ImmutableEntryError(RuntimeError):
    pass


class AuditEntry(models.Model):
    class Via(models.TextChoices):
        CONSOLE = "console", _("Console")
        API = "api", _("API token")
        SYSTEM = "system", _("System")

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    business_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    actor_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    actor_label = models.CharField(max_length=150, blank=True)
    via = models.CharField(max_length=8, choices=Via.choices, default=Via.SYSTEM)
    action = models.CharField(max_length=64, db_index=True)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(max_length=200, blank=True)
    # {"field": [before, after]}; secrets are masked before they get here.
    changes = models.JSONField(default=dict, blank=True)
    address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["business_id", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.action} by {self.actor_label or 'system'}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ImmutableEntryError("Audit entries are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ImmutableEntryError("Audit entries are never deleted.")


class DataRequest(models.Model):
    """An export or an erasure of one customer's data, run by a Celery task."""

    class Kind(models.TextChoices):
        EXPORT = "export", _("Export")
        ERASE = "erase", _("Erase")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    business = models.ForeignKey(
        "conversations.Business", on_delete=models.CASCADE, related_name="+"
    )
    # An id, not a key: the request outlives the customer it erased.
    customer_id = models.BigIntegerField()
    customer_label = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    status = models.CharField(
        max_length=8, choices=Status.choices, default=Status.QUEUED
    )
    progress = models.PositiveSmallIntegerField(default=0)
    requested_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    file = models.FileField(upload_to="exports/", blank=True, max_length=255)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} of customer {self.customer_id} ({self.status})"


class UserSession(models.Model):
    """One sign-in of a person: where from and when last seen, so they can end it."""

    session_key = models.CharField(max_length=40, unique=True)
    user = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField()
    address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-last_seen_at"]

    def __str__(self) -> str:
        return f"session of {self.user_id} from {self.address or '?'}"


class SecurityPolicy(models.Model):
    """A business's rules for its members' accounts."""

    business = models.OneToOneField(
        "conversations.Business",
        on_delete=models.CASCADE,
        related_name="security_policy",
    )
    require_second_factor = models.BooleanField(
        default=False, help_text="Every member must sign in with an authenticator app"
    )
    # Blank keeps conversations forever.
    retention_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Delete conversations (and their files) closed or resolved longer ago",
    )

    def __str__(self) -> str:
        return f"security policy of {self.business_id}"
