"""Output shapes shared by the REST API and the WebSocket pushes."""

from __future__ import annotations

import threading
from typing import Any, TypeVar

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from . import presentation
from .models import Business, Conversation, Customer, Label, Membership, Message
from .previews import PreviewSource, message_preview


class UserRefSerializer(serializers.Serializer):
    """A person (agent, admin or bot) as the API names one, in answers and pushes;
    inputs take the same ``id``."""

    id = serializers.IntegerField(source="pk")
    username = serializers.CharField(source="get_username")

    class Meta:
        ref_name = "UserRef"


class BusinessOutputSerializer(serializers.ModelSerializer):
    # A plain string: a blank URLField becomes a oneOf that '' matches twice.
    logo_url = serializers.CharField(help_text="an absolute URL, or empty")

    class Meta:
        model = Business
        fields = ["id", "apple_id", "name", "logo_url"]


class CustomerOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = ["id", "apple_id", "display_name"]


class LabelOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Label
        fields = ["id", "name", "color"]


class ConversationOutputSerializer(serializers.ModelSerializer):
    business = BusinessOutputSerializer()
    customer = CustomerOutputSerializer()
    assigned_agent = UserRefSerializer(allow_null=True, read_only=True)
    is_closed = serializers.BooleanField()
    # Prefetched by the selectors; a single push costs one query.
    labels = LabelOutputSerializer(many=True, read_only=True)

    class Meta:
        model = Conversation
        fields = [
            "id",
            "business",
            "customer",
            "status",
            "is_closed",
            "capabilities",
            "device_agent",
            "locale",
            "intent",
            "group",
            "assigned_agent",
            "labels",
            "created_at",
            "last_message_at",
            "closed_at",
        ]


class ReactionSerializer(serializers.Serializer):
    type = serializers.CharField()
    target = serializers.IntegerField(allow_null=True)

    class Meta:
        ref_name = "Reaction"


class AttachmentOutputSerializer(serializers.Serializer):
    """Documents ``attachments.attachment_data``: the file views are the URLs."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    mime_type = serializers.CharField()
    size = serializers.IntegerField()
    status = serializers.CharField()
    last_error = serializers.CharField()
    url = serializers.CharField(allow_null=True, help_text="null until stored")
    thumbnail_url = serializers.CharField(
        allow_null=True, help_text="images only, once stored"
    )

    class Meta:
        ref_name = "AttachmentOutput"


class MessageListSerializer(serializers.ListSerializer):
    """Presents a page of messages' rich content in one batch (no query per reply)."""

    def to_representation(self, data: Any) -> list[Any]:
        messages = list(data.all() if hasattr(data, "all") else data)
        self._context["rich_by_id"] = presentation.rich_data_for(messages)
        return super().to_representation(messages)


class MessageOutputSerializer(serializers.ModelSerializer):
    text = serializers.CharField(source="body")
    sender = UserRefSerializer(
        allow_null=True,
        read_only=True,
        help_text="who sent it from our side; null for the customer and the system",
    )
    reaction = serializers.SerializerMethodField()
    # Library object sent (and as bubble or text), or a reply's answer summary.
    rich = serializers.SerializerMethodField()
    attachments = serializers.SerializerMethodField()
    preview = serializers.SerializerMethodField(
        help_text="one line for lists and notifications, from the message's kind "
        '("📷 Photo", "Paid 28.50 USD", "Bot: …")'
    )

    class Meta:
        model = Message
        list_serializer_class = MessageListSerializer
        fields = [
            "id",
            "apple_id",
            "conversation",
            "direction",
            "kind",
            "text",
            "status",
            "attempts",
            "last_error",
            "sender",
            "auto_reply",
            "request_identifier",
            "reply_to",
            "reaction",
            "rich",
            "attachments",
            "preview",
            "created_at",
            "status_changed_at",
            "sent_at",
        ]

    @extend_schema_field(ReactionSerializer(allow_null=True))
    def get_reaction(self, message: Message) -> dict[str, Any] | None:
        if message.kind != Message.Kind.REACTION:
            return None
        return {"type": message.reaction_type, "target": message.reaction_target_id}

    @extend_schema_field(AttachmentOutputSerializer(many=True))
    def get_attachments(self, message: Message) -> list[dict[str, Any]]:
        # Only attachment messages have files: others cost no query.
        if message.kind != Message.Kind.ATTACHMENT:
            return []
        from .attachments import attachment_data

        return [attachment_data(item) for item in message.attachments.all()]

    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "additionalProperties": True,
            "description": "the rich object sent (library id, version, kind, "
            "title) or, on a customer's reply, the answer's summary",
        }
    )
    def get_rich(self, message: Message) -> dict[str, Any] | None:
        batch = self.context.get("rich_by_id")
        if batch is None:
            # One message alone (a push): keep its reading for ``preview`` too.
            batch = self.context["rich_by_id"] = {}
        if message.pk not in batch:
            batch.update(presentation.rich_data_for([message]))
        return batch.get(message.pk)

    def get_preview(self, message: Message) -> str:
        mime_type = ""
        if message.kind == Message.Kind.ATTACHMENT:
            files = list(message.attachments.all())
            mime_type = files[0].mime_type if files else ""
        rich = self.get_rich(message) or {}
        reply = rich.get("reply") or {}
        return message_preview(
            PreviewSource.of(
                message, mime_type=mime_type, summary=reply.get("summary", "")
            )
        )


class AgentOutputSerializer(serializers.Serializer):
    """A member of a business: whom ``assign/`` takes, by ``id``."""

    id = serializers.IntegerField(source="user.pk")
    username = serializers.CharField(source="user.get_username")
    role = serializers.ChoiceField(choices=Membership.Role.choices)

    class Meta:
        ref_name = "AgentOutput"


# One serializer of each kind per thread, reused for every push: a
# ModelSerializer builds its fields from the model on first use, which cost more
# than the rest of a push (a tenth of an inbound webhook's time in the server).
_push_serializers = threading.local()
SerializerClass = TypeVar("SerializerClass", bound=serializers.Serializer)


def _push_serializer(cls: type[SerializerClass]) -> SerializerClass:
    serializer = getattr(_push_serializers, cls.__name__, None)
    if serializer is None:
        serializer = cls()
        setattr(_push_serializers, cls.__name__, serializer)
    # A fresh context per object: get_rich keeps what it read there.
    serializer._context = {}
    return serializer


def message_data(message: Message) -> dict[str, Any]:
    return dict(_push_serializer(MessageOutputSerializer).to_representation(message))


def conversation_data(conversation: Conversation) -> dict[str, Any]:
    """A conversation as every live push carries it: the API's shape plus the
    fields features add (the route)."""
    serializer = _push_serializer(ConversationOutputSerializer)
    data = dict(serializer.to_representation(conversation))
    data.update(presentation.conversation_fields(conversation))
    return data
