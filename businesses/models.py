"""Per-business channel settings, entry points, teams and routing rules.

Everything here hangs off ``conversations.Business``; the conversations app
knows nothing of it apart from one hook that routes a new conversation.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ChannelSettings(models.Model):
    """What the customer sees of a business and when people are there to answer."""

    business = models.OneToOneField(
        "conversations.Business",
        on_delete=models.CASCADE,
        related_name="channel_settings",
    )
    display_name = models.CharField(max_length=100, blank=True)
    # Re-encoded by Pillow on upload, so what is served is always a plain PNG
    # whatever the uploader sent (no polyglots, no EXIF, bounded size).
    logo_png = models.BinaryField(blank=True, default=b"")
    logo_updated_at = models.DateTimeField(null=True, blank=True)
    timezone = models.CharField(max_length=64, default="UTC")
    away_message = models.TextField(blank=True, max_length=1000)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "channel settings"
        permissions = [
            (
                "link_any_business",
                "Can link any Apple Business ID to any business account",
            )
        ]

    def __str__(self) -> str:
        return f"Channel settings of {self.business}"


class BusinessHours(models.Model):
    """Opening hours for one weekday; a weekday without a row is closed.

    A business with no rows at all has not set hours and counts as always open.
    """

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    business = models.ForeignKey(
        "conversations.Business",
        on_delete=models.CASCADE,
        related_name="business_hours",
    )
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens = models.TimeField()
    closes = models.TimeField()

    class Meta:
        ordering = ["weekday"]
        verbose_name_plural = "business hours"
        constraints = [
            models.UniqueConstraint(
                fields=["business", "weekday"], name="one_hours_row_per_weekday"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"


class IMessageApp(models.Model):
    business = models.ForeignKey(
        "conversations.Business", on_delete=models.CASCADE, related_name="imessage_apps"
    )
    app_id = models.CharField("app id", max_length=64)
    name = models.CharField(max_length=100)
    bid = models.CharField(max_length=255)
    url = models.URLField(max_length=500)

    class Meta:
        ordering = ["name"]
        verbose_name = "iMessage app"
        constraints = [
            models.UniqueConstraint(
                fields=["business", "app_id"], name="one_imessage_app_per_id"
            )
        ]

    def __str__(self) -> str:
        return self.name


class BusinessLink(models.Model):
    """One Apple Business ID linked through the landing page (spec §9).

    Kept even if the business later changes, so a second visit with the same
    ID is recognised as a re-link rather than a new brand.
    """

    apple_id = models.CharField("Apple business id", max_length=64, unique=True)
    business = models.ForeignKey(
        "conversations.Business", on_delete=models.CASCADE, related_name="links"
    )
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    brand_name = models.CharField(max_length=200, blank=True)
    brand_logo_url = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.apple_id} → {self.business}"


class LinkRequest(models.Model):
    """A request to link an Apple Business ID, waiting for an MSP operator.

    Business IDs are public (every entry link carries one), so claiming one
    needs proof: an operator approves the request, or the requester came with
    the operator's signed link (``businesses.link_grants``).
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        REFUSED = "refused", "Refused"

    apple_id = models.CharField("Apple business id", max_length=64)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    # An existing account of the requester's, or None for a new one named new_name.
    business = models.ForeignKey(
        "conversations.Business",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    new_name = models.CharField(max_length=200, blank=True)
    brand_name = models.CharField(max_length=200, blank=True)
    brand_logo_url = models.URLField(max_length=500, blank=True)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["apple_id", "requested_by"],
                condition=models.Q(status="pending"),
                name="one_pending_link_request_per_user_and_id",
            )
        ]

    def __str__(self) -> str:
        return f"{self.apple_id} requested by {self.requested_by} ({self.status})"


class EntryPoint(models.Model):
    """A saved ``bcrw.apple.com`` link for one intent and group (spec §10)."""

    business = models.ForeignKey(
        "conversations.Business", on_delete=models.CASCADE, related_name="entry_points"
    )
    name = models.CharField(max_length=100)
    intent = models.CharField(max_length=128, blank=True)
    group = models.CharField(max_length=128, blank=True)
    body = models.CharField("prefilled message", max_length=1000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["business", "name"], name="one_entry_point_per_name"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    business = models.ForeignKey(
        "conversations.Business", on_delete=models.CASCADE, related_name="teams"
    )
    name = models.CharField(max_length=100)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="teams"
    )
    # Auto-assignment (turned on by a routing rule): nobody gets more open
    # conversations than this.
    assign_cap = models.PositiveSmallIntegerField(
        "most open conversations per agent", default=10
    )
    reassign_when_offline = models.BooleanField(
        "hand an agent's open conversations on when they go offline", default=False
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["business", "name"], name="one_team_per_name"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Priority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


class RoutingRule(models.Model):
    """When a new conversation matches, it goes to a team with this treatment.

    Rules are tried in ``position`` order; the first match wins. A blank match
    field matches anything.
    """

    class Hours(models.TextChoices):
        ANY = "any", "Any time"
        OPEN = "open", "Within business hours"
        CLOSED = "closed", "Outside business hours"

    business = models.ForeignKey(
        "conversations.Business", on_delete=models.CASCADE, related_name="routing_rules"
    )
    name = models.CharField(max_length=100)
    position = models.PositiveIntegerField(default=100)
    enabled = models.BooleanField(default=True)
    match_intent = models.CharField(max_length=128, blank=True)
    match_group = models.CharField(max_length=128, blank=True)
    match_locale = models.CharField(
        max_length=32, blank=True, help_text="e.g. en or en_US; en matches every en_*"
    )
    match_hours = models.CharField(
        max_length=8, choices=Hours.choices, default=Hours.ANY
    )
    team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="rules"
    )
    priority = models.CharField(
        max_length=8, choices=Priority.choices, default=Priority.NORMAL
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reply_text = models.TextField("automatic reply", blank=True, max_length=2000)
    reply_rich_object = models.ForeignKey(
        "richobjects.RichObject",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    bot = models.BooleanField(
        default=False, help_text="A bot answers first; a person can always take over."
    )
    auto_assign = models.BooleanField(
        default=False,
        help_text="Give the conversation to the team's online agent with the "
        "fewest open conversations, in turn.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class ConversationRoute(models.Model):
    """The route a conversation took when it started. One per conversation."""

    conversation = models.OneToOneField(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="route"
    )
    rule = models.ForeignKey(
        RoutingRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Names are copied so the history still reads right after a rule or team
    # is renamed or deleted.
    rule_name = models.CharField(max_length=100, blank=True)
    team_name = models.CharField(max_length=100, blank=True)
    priority = models.CharField(
        max_length=8, choices=Priority.choices, default=Priority.NORMAL
    )
    within_hours = models.BooleanField(default=True)
    bot = models.BooleanField(default=False)
    escalated_at = models.DateTimeField(null=True, blank=True)
    escalated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    auto_reply_sent = models.BooleanField(default=False)
    away_message_sent = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.conversation_id} → {self.team_name or 'no team'}"

    @property
    def with_bot(self) -> bool:
        return self.bot and self.escalated_at is None
