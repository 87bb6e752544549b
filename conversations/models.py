"""Businesses, their people and customers, conversations and messages."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def new_apple_id() -> str:
    return str(uuid.uuid4())


class Business(models.Model):
    apple_id = models.CharField(
        "Apple business id",
        max_length=64,
        unique=True,
        help_text="Business ID from Apple",
    )
    name = models.CharField(max_length=200)
    logo_url = models.URLField(blank=True, max_length=500)
    # MIME types (or "type/*") agents and bots may send; empty means the default
    # list in conversations.attachments.DEFAULT_ALLOWED_TYPES.
    allowed_attachment_types = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "businesses"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin", _("Admin")
        AGENT = "agent", _("Agent")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    business = models.ForeignKey(
        Business, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.AGENT)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "business"], name="one_membership_per_user"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.business} ({self.role})"


class Invitation(models.Model):
    """An admin's offer to join a business; a membership exists only once the
    invitee accepts through the signed link (conversations/services/invitations.py)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        REVOKED = "revoked", "Revoked"

    business = models.ForeignKey(
        Business, on_delete=models.CASCADE, related_name="invitations"
    )
    # What the admin typed: a username or an e-mail address. Kept as typed,
    # whether or not such an account exists, so the team page reveals nothing.
    invitee = models.CharField(max_length=254)
    role = models.CharField(
        max_length=16, choices=Membership.Role.choices, default=Membership.Role.AGENT
    )
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.PENDING
    )
    # Random, in the signed link: a link of a revoked and re-sent invitation, or
    # of a reset database, never matches another row.
    key = models.CharField(max_length=64)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["business", "status"])]

    def __str__(self) -> str:
        return f"{self.invitee} to {self.business} ({self.status})"


class ApiToken(models.Model):
    """A named API key of one user: stored as a hash, shown once at creation,
    revoked by deleting it (conversations/services/api_tokens.py)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    # The key's first characters, to tell keys apart in lists; never enough to use.
    prefix = models.CharField(max_length=16)
    # SHA-256 of the whole key: a random 256-bit key needs no slow hash.
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…) of {self.user_id}"


class Customer(models.Model):
    # No index of its own: ``one_customer_per_id`` starts with the business and
    # serves its lookups. With a second index, a planner whose statistics lag
    # (a business that just grew) read the business's customers one by one to
    # find one of them, on every inbound message (bench/inbound.py).
    business = models.ForeignKey(
        Business, on_delete=models.CASCADE, related_name="customers", db_index=False
    )
    apple_id = models.CharField("opaque id", max_length=255)
    # The name agents gave the customer (or the sandbox/Apple passed on); the
    # console shows it instead of the opaque id.
    display_name = models.CharField("name", max_length=200, blank=True)
    email = models.EmailField(blank=True, max_length=254)
    phone = models.CharField(max_length=32, blank=True)
    notes = models.TextField(blank=True)
    # Free-form facts agents keep (plan, order number…): string keys and values.
    attributes: models.JSONField[dict[str, str], dict[str, str]] = models.JSONField(
        "custom attributes", default=dict, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["business", "apple_id"], name="one_customer_per_id"
            )
        ]

    def __str__(self) -> str:
        return self.display_name or self.apple_id


class Label(models.Model):
    """A business's tag for conversations ("billing", "vip"), with a colour."""

    business = models.ForeignKey(
        Business, on_delete=models.CASCADE, related_name="labels"
    )
    name = models.CharField(max_length=50)
    # "#rrggbb": the chip's background in the console.
    color = models.CharField(max_length=7, default="#6e6e73")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                "business", Lower("name"), name="one_label_per_name"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Conversation(models.Model):
    """One customer's thread with one business; Apple keeps exactly one per pair."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        PENDING = "pending", _("Pending")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed by customer")

    # Indexed by Meta's (business, status, -last_message_at): every inbound
    # message rewrites the row into each index, so none is kept twice.
    business = models.ForeignKey(
        Business,
        on_delete=models.CASCADE,
        related_name="conversations",
        db_index=False,
    )
    customer = models.OneToOneField(
        Customer, on_delete=models.CASCADE, related_name="conversation"
    )
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.OPEN
    )
    capabilities = models.JSONField(default=list, blank=True)
    device_agent = models.CharField(max_length=64, blank=True)
    locale = models.CharField(max_length=32, blank=True)
    intent = models.CharField(max_length=255, blank=True)
    group = models.CharField(max_length=255, blank=True)
    assigned_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_conversations",
    )
    labels = models.ManyToManyField(Label, blank=True, related_name="conversations")
    created_at = models.DateTimeField(auto_now_add=True)
    last_message_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["business", "status", "-last_message_at"])]

    def __str__(self) -> str:
        return f"{self.customer} with {self.business}"

    @property
    def is_closed(self) -> bool:
        """The customer closed it: nothing reaches them until they write again.

        Agents may still move the status (resolve it, say); ``closed_at`` keeps
        the lock until the customer's next message clears it.
        """
        return self.status == self.Status.CLOSED or self.closed_at is not None


class Message(models.Model):
    class Direction(models.TextChoices):
        IN = "in", _("From customer")
        OUT = "out", _("To customer")
        # Private notes between agents: never a candidate for delivery to Apple,
        # which only ever picks up direction=out rows.
        INTERNAL = "int", _("Internal")

    class Kind(models.TextChoices):
        TEXT = "text", "Text"
        REACTION = "reaction", "Reaction"
        INTERACTIVE = "interactive", "Interactive"
        RICH_LINK = "rich_link", "Rich link"
        ATTACHMENT = "attachment", "Attachment"
        SYSTEM = "system", "System"
        NOTE = "note", "Private note"

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        # Temporary errors outlasted the retry window: the conversation's later
        # messages wait behind it until an agent retries or drops it.
        PAUSED = "paused", "Delivery paused"

    # Every message is a row in each of the table's indexes, written on the
    # webhook's hot path: none is kept twice (the conversation's is Meta's
    # (conversation, id)), columns mostly empty are indexed only where set,
    # and the unique Apple id is a constraint, which spares the pattern-ops
    # twin Django adds to a unique text column.
    conversation = models.ForeignKey(
        Conversation,
        on_delete=models.CASCADE,
        related_name="messages",
        db_index=False,
    )
    # Generated once for outbound messages and reused on every attempt, so Apple
    # can de-duplicate our retries; Apple's own id for inbound ones.
    apple_id = models.CharField(max_length=64, default=new_apple_id)
    direction = models.CharField(max_length=3, choices=Direction.choices)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.TEXT)
    body = models.TextField(blank=True)
    raw: models.JSONField[dict[str, Any], dict[str, Any]] = models.JSONField(
        default=dict, blank=True
    )
    status = models.CharField(max_length=16, choices=Status.choices)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    auto_reply = models.BooleanField(default=False)
    request_identifier = models.CharField(max_length=64, blank=True)
    reply_to = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replies",
        db_index=False,
    )
    reaction_type = models.CharField(max_length=32, blank=True)
    reaction_target = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reactions",
        db_index=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    status_changed_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Outbound only. Pending: when the next attempt is due (the sweeper takes
    # it once overdue, whatever happened to its task); sending: when the
    # worker's claim runs out.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # The first temporary failure of the current run: retries stop (and the
    # message pauses) once it is older than the retry window.
    failing_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["conversation", "id"]),
            models.Index(fields=["status", "status_changed_at"]),
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(
                fields=["request_identifier"],
                condition=~models.Q(request_identifier=""),
                name="message_request_identifier",
            ),
            models.Index(
                fields=["sender"],
                condition=models.Q(sender__isnull=False),
                name="message_sender",
            ),
            models.Index(
                fields=["reply_to"],
                condition=models.Q(reply_to__isnull=False),
                name="message_reply_to",
            ),
            models.Index(
                fields=["reaction_target"],
                condition=models.Q(reaction_target__isnull=False),
                name="message_reaction_target",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["apple_id"], name="message_apple_id_unique")
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.kind} {self.apple_id}"


class ReadMarker(models.Model):
    """How far one agent has read one conversation; unread counts derive from it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="read_markers"
    )
    last_read_message_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "conversation"], name="one_read_marker_per_user"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} read {self.conversation_id} to {self.last_read_message_id}"


def attachment_upload_to(instance: Attachment, filename: str) -> str:
    # Random names: the stored path never reveals the customer's file name.
    return f"attachments/{uuid.uuid4().hex}"


class Attachment(models.Model):
    """A file on a message, both ways; bytes live in Django's default storage."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        FETCHING = "fetching", "Fetching from Apple"
        STORED = "stored", "Stored"
        UPLOADING = "uploading", "Uploading to Apple"
        UPLOADED = "uploaded", "Uploaded to Apple"
        FAILED = "failed", "Failed"

    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, related_name="attachments"
    )
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(max_length=255, blank=True)
    # Sniffed from the bytes once stored; until then what the sender declared.
    mime_type = models.CharField(max_length=127, blank=True)
    size = models.BigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    file = models.FileField(upload_to=attachment_upload_to, blank=True, max_length=255)
    thumbnail = models.FileField(
        upload_to=attachment_upload_to, blank=True, max_length=255
    )
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # Apple's descriptor: as received (inbound) or as returned by the upload
    # (outbound), so a retried delivery never uploads the same file twice.
    apple_descriptor = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["message_id", "position", "id"]

    def __str__(self) -> str:
        return f"{self.name or 'file'} ({self.status})"


class IdempotencyKey(models.Model):
    """The first answer to a write sent with an ``Idempotency-Key``, per caller.

    A row, not a cache entry: the unique index is the lock that keeps two
    concurrent duplicates from both running, and a stored answer outlives a
    Redis flush or eviction (see ``idempotency.py``).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(max_length=255)
    # SHA-256 of the method, path and body: the same key must mean the same request.
    fingerprint = models.CharField(max_length=64)
    # Null while the first request runs.
    status_code = models.PositiveSmallIntegerField(null=True)
    body = models.JSONField(null=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key"], name="idempotency_key_unique_per_user"
            )
        ]

    def __str__(self) -> str:
        return f"{self.key} of {self.user_id}"


class Availability(models.Model):
    """Whether an agent takes new conversations: what they chose, and how many
    console tabs they have open (an "online" agent with none is away)."""

    class Status(models.TextChoices):
        ONLINE = "online", _("Online")
        AWAY = "away", _("Away")
        OFFLINE = "offline", _("Offline")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="availability"
    )
    chosen = models.CharField(
        max_length=8, choices=Status.choices, default=Status.ONLINE
    )
    # Open console sockets, counted by the consumer; zero turns "online" into away.
    sockets = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user} {self.status}"

    @property
    def status(self) -> str:
        if self.chosen == self.Status.ONLINE and self.sockets == 0:
            return self.Status.AWAY
        return self.chosen


class AgentPreferences(models.Model):
    """What an agent chose for their own console (the language of its UI)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preferences"
    )
    # "" follows the browser's language; otherwise one of settings.LANGUAGES.
    language = models.CharField(max_length=8, blank=True)

    def __str__(self) -> str:
        return f"{self.user} prefers {self.language or 'the browser language'}"
