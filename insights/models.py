"""What happened to each conversation, and the figures reports are made of.

A feature's tables, not the core's: the core announces state changes
(conversations.events) and this app writes them down, so the core never waits
on reporting and these tables can be rebuilt from the log and the messages.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from businesses.models import Priority


class ConversationEvent(models.Model):
    """One state change of a conversation, when it happened and who did it."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("Opened")
        ASSIGNED = "assigned", _("Assigned")
        FIRST_RESPONSE = "first_response", _("First agent reply")
        STATUS_CHANGED = "status_changed", _("Status changed")
        RESOLVED = "resolved", _("Resolved")
        REOPENED = "reopened", _("Reopened")
        CLOSED = "closed", _("Closed by customer")

    business = models.ForeignKey(
        "conversations.Business", on_delete=models.CASCADE, related_name="+"
    )
    conversation = models.ForeignKey(
        "conversations.Conversation",
        on_delete=models.CASCADE,
        related_name="insight_events",
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # None: the customer, or the system.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    old_status = models.CharField(max_length=16, blank=True)
    new_status = models.CharField(max_length=16, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    occurred_at = models.DateTimeField()
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [
            models.Index(fields=["conversation", "occurred_at"]),
            models.Index(fields=["business", "kind", "occurred_at"]),
        ]

    def __str__(self) -> str:
        return (
            f"{self.conversation_id} {self.kind} at {self.occurred_at:%Y-%m-%d %H:%M}"
        )


class ConversationFacts(models.Model):
    """The conversation's derived times, one row per conversation.

    ``resolved_at`` is the latest resolution and empties when the customer
    reopens; ``first_resolved_at`` stays. Resolution time runs from opening to
    the latest resolution (reopened time counts: the customer was not helped).
    Waiting time adds up every stretch from a customer message with no answer
    yet to the next agent reply or resolution.
    """

    conversation = models.OneToOneField(
        "conversations.Conversation",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="facts",
    )
    business = models.ForeignKey(
        "conversations.Business", on_delete=models.CASCADE, related_name="+"
    )
    opened_at = models.DateTimeField()
    first_response_at = models.DateTimeField(null=True, blank=True)
    first_responder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    first_resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    resolutions = models.PositiveIntegerField(default=0)
    reopens = models.PositiveIntegerField(default=0)
    waiting_since = models.DateTimeField(null=True, blank=True)
    waiting_seconds = models.FloatField(default=0)
    # Seconds, stored so reports aggregate columns instead of subtracting rows.
    first_response_seconds = models.FloatField(null=True, blank=True)
    resolution_seconds = models.FloatField(null=True, blank=True)
    # The SLA in force (business hours already counted into the due times).
    priority = models.CharField(
        max_length=8, choices=Priority.choices, default=Priority.NORMAL
    )
    first_response_due_at = models.DateTimeField(null=True, blank=True)
    resolution_due_at = models.DateTimeField(null=True, blank=True)
    first_response_breached = models.BooleanField(null=True, blank=True)
    resolution_breached = models.BooleanField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "conversation facts"
        indexes = [
            models.Index(fields=["business", "opened_at"]),
            models.Index(fields=["business", "first_response_at"]),
            models.Index(fields=["business", "resolved_at"]),
        ]

    def __str__(self) -> str:
        return f"Facts of {self.conversation_id}"


class CsatSettings(models.Model):
    """Whether and how a business asks customers how it went."""

    business = models.OneToOneField(
        "conversations.Business", on_delete=models.CASCADE, related_name="csat_settings"
    )
    enabled = models.BooleanField(default=False)
    delay_minutes = models.PositiveIntegerField(
        default=0, help_text="Minutes after resolving before the survey is sent."
    )
    question = models.CharField(
        max_length=200, default="How did we do? Rate us from 1 to 5."
    )
    comment_prompt = models.CharField(
        max_length=200,
        blank=True,
        default="Thank you! Anything you'd like to add? Just reply here.",
        help_text="Sent after a score; the next message is kept as a comment. Empty: ask for none.",
    )

    class Meta:
        verbose_name_plural = "CSAT settings"

    def __str__(self) -> str:
        return f"CSAT of {self.business}"


class CsatSurvey(models.Model):
    """One survey per resolution of a conversation, and its answer."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        SENT = "sent", _("Sent")
        ANSWERED = "answered", _("Answered")
        CANCELLED = "cancelled", _("Cancelled")

    class SentAs(models.TextChoices):
        QUICK_REPLY = "quick_reply", _("Quick reply")
        TEXT = "text", _("Numbered text")

    business = models.ForeignKey(
        "conversations.Business", on_delete=models.CASCADE, related_name="+"
    )
    conversation = models.ForeignKey(
        "conversations.Conversation",
        on_delete=models.CASCADE,
        related_name="csat_surveys",
    )
    # Which resolution of the conversation this asks about (1 for the first).
    resolution = models.PositiveIntegerField()
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.SCHEDULED
    )
    sent_as = models.CharField(max_length=16, choices=SentAs.choices, blank=True)
    message = models.ForeignKey(
        "conversations.Message",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    request_identifier = models.CharField(max_length=64, blank=True, db_index=True)
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    comment = models.TextField(blank=True)
    answer_message_id = models.BigIntegerField(null=True, blank=True)
    comment_requested = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    commented_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "resolution"], name="one_survey_per_resolution"
            ),
            models.CheckConstraint(
                condition=models.Q(score__isnull=True)
                | models.Q(score__gte=1, score__lte=5),
                name="csat_score_1_to_5",
            ),
        ]
        indexes = [models.Index(fields=["business", "answered_at"])]

    def __str__(self) -> str:
        return f"CSAT {self.score or '-'} for {self.conversation_id}#{self.resolution}"


class SlaPolicy(models.Model):
    """Targets for one priority, counted in the business's hours."""

    business = models.ForeignKey(
        "conversations.Business", on_delete=models.CASCADE, related_name="sla_policies"
    )
    priority = models.CharField(max_length=8, choices=Priority.choices)
    first_response_minutes = models.PositiveIntegerField(null=True, blank=True)
    resolution_minutes = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "SLA policies"
        constraints = [
            models.UniqueConstraint(
                fields=["business", "priority"], name="one_sla_per_priority"
            )
        ]

    def __str__(self) -> str:
        return f"SLA {self.priority} of {self.business_id}"


class SlaBreach(models.Model):
    """A target missed, recorded once per conversation, target and due time."""

    class Target(models.TextChoices):
        FIRST_RESPONSE = "first_response", _("First response")
        RESOLUTION = "resolution", _("Resolution")

    business = models.ForeignKey(
        "conversations.Business", on_delete=models.CASCADE, related_name="+"
    )
    conversation = models.ForeignKey(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="+"
    )
    target = models.CharField(max_length=16, choices=Target.choices)
    priority = models.CharField(max_length=8, choices=Priority.choices)
    due_at = models.DateTimeField()
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-due_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "target", "due_at"], name="one_breach_per_due"
            )
        ]

    def __str__(self) -> str:
        return f"{self.target} breached on {self.conversation_id}"
