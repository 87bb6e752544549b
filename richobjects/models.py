"""The rich-object library: reusable interactive messages a business curates.

A ``RichObject`` is the named, tagged entry; its content lives in immutable
``RichObjectVersion`` rows so a sent message can point at exactly what went
out. ``RichImage`` holds uploaded images once per business.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from . import builders


class RichObject(models.Model):
    class Kind(models.TextChoices):
        QUICK_REPLY = builders.Kind.QUICK_REPLY.value, _("Quick reply")
        LIST_PICKER = builders.Kind.LIST_PICKER.value, _("List picker")
        TIME_PICKER = builders.Kind.TIME_PICKER.value, _("Time picker")
        FORM = builders.Kind.FORM.value, _("Form")
        APPLE_PAY = builders.Kind.APPLE_PAY.value, _("Apple Pay")
        AUTHENTICATION = builders.Kind.AUTHENTICATION.value, _("Authentication (AUTH2)")
        AUTHENTICATION_LEGACY = (
            builders.Kind.AUTHENTICATION_LEGACY.value,
            _("Authentication, old (AUTH)"),
        )
        IMESSAGE_APP = builders.Kind.IMESSAGE_APP.value, _("iMessage app")
        RICH_LINK = builders.Kind.RICH_LINK.value, _("Rich link")

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        ARCHIVED = "archived", _("Archived")

    business = models.ForeignKey(
        "conversations.Business", on_delete=models.CASCADE, related_name="rich_objects"
    )
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    tags = models.JSONField(default=list, blank=True)
    locale = models.CharField(
        max_length=16, blank=True, help_text="e.g. en_US; blank for any locale"
    )
    scope_team = models.CharField(
        "team",
        max_length=100,
        blank=True,
        help_text="Blank: the whole business; otherwise only this team's agents",
    )
    agents_may_edit = models.BooleanField(
        default=False, help_text="Agents may change the content before sending"
    )
    text_alternative = models.TextField(
        blank=True, help_text="Sent instead when the device lacks the capability"
    )
    # False while the alternative is generated: then it follows every content edit.
    text_alternative_edited = models.BooleanField(default=False)
    state = models.CharField(max_length=16, choices=State.choices, default=State.DRAFT)
    current_version = models.ForeignKey(
        "RichObjectVersion",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The latest saved content",
    )
    published_version = models.ForeignKey(
        "RichObjectVersion",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="What agents and bots send",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["business", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["business", "name"], name="one_rich_object_name_per_business"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def has_unpublished_changes(self) -> bool:
        return self.current_version_id != self.published_version_id


class RichObjectVersion(models.Model):
    """One immutable snapshot of an object's content; messages keep a pointer to it."""

    rich_object = models.ForeignKey(
        RichObject, on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField()
    spec = models.JSONField()
    text_alternative = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["rich_object", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["rich_object", "number"], name="one_number_per_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.rich_object} v{self.number}"

    def save(self, *args: object, **kwargs: object) -> None:
        # Rewriting a version would change what already-sent messages claim they sent.
        if not self._state.adding:
            raise ValueError("rich object versions are immutable; save a new version")
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class RichImage(models.Model):
    """An uploaded image, stored once per business (deduplicated by content hash)."""

    business = models.ForeignKey(
        "conversations.Business", on_delete=models.CASCADE, related_name="rich_images"
    )
    name = models.CharField(max_length=200)
    file = models.FileField(upload_to="richobjects/images/%Y/%m/")
    mime_type = models.CharField(max_length=32)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField(help_text="bytes")
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["business", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["business", "sha256"], name="one_copy_of_each_image"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.width}x{self.height})"


class RichMessage(models.Model):
    """What a sent message carried from the library: the exact version, and in which form.

    Lives here rather than on ``conversations.Message`` so the library can grow
    without migrating the message table. The wire payload itself is in
    ``Message.raw`` (that is what delivery reads); this row keeps a copy with
    the parameters so a later audit sees what was filled in.
    """

    class SentAs(models.TextChoices):
        INTERACTIVE = "interactive", _("Interactive")
        TEXT_ALTERNATIVE = "text_alternative", _("Text alternative")

    message = models.OneToOneField(
        "conversations.Message", on_delete=models.CASCADE, related_name="rich"
    )
    version = models.ForeignKey(
        RichObjectVersion, on_delete=models.PROTECT, related_name="messages"
    )
    kind = models.CharField(max_length=32, choices=RichObject.Kind.choices)
    sent_as = models.CharField(max_length=20, choices=SentAs.choices)
    request_identifier = models.CharField(max_length=64, blank=True, db_index=True)
    params = models.JSONField(default=dict, blank=True)
    edited = models.BooleanField(default=False)
    payload = models.JSONField(default=dict, blank=True)
    # The OAuth nonce an authentication reply must echo (spec §7.6).
    oauth_state = models.CharField(max_length=128, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.version} as {self.sent_as} in message {self.message_id}"


class RichImageVariant(models.Model):
    """An image cut to one of Apple's bubble sizes (spec §7): made once, reused."""

    image = models.ForeignKey(
        RichImage, on_delete=models.CASCADE, related_name="variants"
    )
    style = models.CharField(max_length=8)  # icon | small | large
    data = models.BinaryField()
    mime_type = models.CharField(max_length=32)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["image", "style"], name="one_variant_per_style"
            )
        ]

    def __str__(self) -> str:
        return f"{self.image} as {self.style} ({self.width}x{self.height})"


class CannedReply(models.Model):
    """A saved text agents insert by typing ``/code`` in the composer.

    Shared replies (no owner) belong to the business and admins manage them;
    personal ones belong to the agent who wrote them. Placeholders such as
    ``{{customer.name}}`` are filled with the library's filler at insertion.
    """

    business = models.ForeignKey(
        "conversations.Business",
        on_delete=models.CASCADE,
        related_name="canned_replies",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="canned_replies",
        help_text="empty for a reply shared with the whole business",
    )
    short_code = models.SlugField(max_length=40)
    title = models.CharField(max_length=120, blank=True)
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["short_code", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["business", "short_code"],
                condition=models.Q(owner__isnull=True),
                name="one_shared_canned_reply_per_code",
            ),
            models.UniqueConstraint(
                fields=["business", "owner", "short_code"],
                condition=models.Q(owner__isnull=False),
                name="one_personal_canned_reply_per_code",
            ),
        ]

    def __str__(self) -> str:
        return f"/{self.short_code}"

    @property
    def shared(self) -> bool:
        return self.owner_id is None


class RichObjectPublication(models.Model):
    """Who made which version the one agents send, and when (the history page reads it)."""

    rich_object = models.ForeignKey(
        RichObject, on_delete=models.CASCADE, related_name="publications"
    )
    version = models.ForeignKey(
        RichObjectVersion, on_delete=models.CASCADE, related_name="publications"
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    published_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["rich_object", "-published_at"]

    def __str__(self) -> str:
        return f"{self.version} published"
