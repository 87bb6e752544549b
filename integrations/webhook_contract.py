"""The outbound webhooks as a contract: each event's body, in the OpenAPI schema.

Listed in ``SPECTACULAR_SETTINGS["WEBHOOKS"]`` (OpenAPI 3.1 ``webhooks``). The
bodies are what ``services`` emits; ``tests/integrations/test_webhook_contract.py``
checks real deliveries against these schemas.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, OpenApiWebhook, extend_schema
from rest_framework import serializers

from .models import Payment, WebhookEndpoint

SIGNATURES = """
Every delivery is a `POST` of JSON, signed twice with the endpoint's secret:

- **Standard Webhooks** (<https://www.standardwebhooks.com>): `webhook-id` (the event's
  `id`, the same on every retry), `webhook-timestamp` (Unix seconds) and
  `webhook-signature: v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>">`.
  The key is the secret's base64 part after `whsec_`; any stock verifier takes the secret
  as shown (secrets made before this scheme are not base64: pass their UTF-8 bytes).
- **X-MSP-Signature**: `t=<Unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, keyed by
  the whole secret string's UTF-8 bytes; also `X-MSP-Event` and `X-MSP-Delivery`.

Refuse timestamps more than 5 minutes away and deduplicate on the id: a delivery is
retried with backoff until a 2xx answer.
"""


class WebhookMessageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    apple_id = serializers.CharField()
    kind = serializers.CharField()
    text = serializers.CharField(allow_blank=True)
    request_identifier = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()

    class Meta:
        ref_name = "WebhookMessage"


class MessageEventDataSerializer(serializers.Serializer):
    conversation = serializers.IntegerField()
    customer = serializers.CharField(help_text="the customer's opaque Apple id")
    message = WebhookMessageSerializer()

    class Meta:
        ref_name = "MessageCreatedData"


class InteractiveReplyDataSerializer(MessageEventDataSerializer):
    interactive_data = serializers.DictField(
        help_text="the reply's `interactiveData.data` as Apple sent it"
    )

    class Meta:
        ref_name = "InteractiveReplyData"


class ConversationClosedDataSerializer(serializers.Serializer):
    conversation = serializers.IntegerField()
    customer = serializers.CharField()
    closed_at = serializers.DateTimeField(allow_null=True)

    class Meta:
        ref_name = "ConversationClosedData"


class PaymentDataSerializer(serializers.Serializer):
    payment = serializers.IntegerField()
    conversation = serializers.IntegerField(allow_null=True)
    status = serializers.ChoiceField(choices=Payment.Status.choices)
    processor_status = serializers.CharField(
        help_text="Apple Pay's status, e.g. STATUS_SUCCESS"
    )
    amount = serializers.CharField(help_text="a decimal string, e.g. 12.50")
    currency = serializers.CharField()
    transaction_identifier = serializers.CharField(allow_blank=True)

    class Meta:
        ref_name = "PaymentData"


class SigninDataSerializer(serializers.Serializer):
    conversation = serializers.IntegerField()
    customer = serializers.CharField()
    user_id = serializers.CharField(help_text="the customer's id at the provider")
    name = serializers.CharField(allow_blank=True)

    class Meta:
        ref_name = "SigninData"


class TestEventDataSerializer(serializers.Serializer):
    message = serializers.CharField()

    class Meta:
        ref_name = "TestEventData"


def _event_serializer(
    event: str, data: type[serializers.Serializer]
) -> type[serializers.Serializer]:
    name = "".join(part.title() for part in event.replace(".", "_").split("_"))
    return type(
        f"{name}EventSerializer",
        (serializers.Serializer,),
        {
            "__module__": __name__,
            "id": serializers.UUIDField(help_text="the event; equals webhook-id"),
            "type": serializers.ChoiceField(choices=[event]),
            "created_at": serializers.DateTimeField(),
            "business": serializers.CharField(help_text="the business's Apple id"),
            "data": data(),
            "Meta": type("Meta", (), {"ref_name": f"{name}Event"}),
        },
    )


def _webhook(
    event: str, data: type[serializers.Serializer], summary: str
) -> OpenApiWebhook:
    event = str(event)  # an Event member's value, or a plain name
    return OpenApiWebhook(
        name=event,
        decorator=extend_schema(
            summary=summary,
            description=SIGNATURES,
            request=_event_serializer(event, data),
            responses={
                200: OpenApiResponse(
                    description="Any 2xx: received. Other answers are retried."
                )
            },
        ),
    )


Event = WebhookEndpoint.Event

MESSAGE_CREATED = _webhook(
    Event.MESSAGE_CREATED, MessageEventDataSerializer, "A customer wrote"
)
INTERACTIVE_REPLY = _webhook(
    Event.INTERACTIVE_REPLY,
    InteractiveReplyDataSerializer,
    "A customer answered a rich object",
)
CONVERSATION_CLOSED = _webhook(
    Event.CONVERSATION_CLOSED,
    ConversationClosedDataSerializer,
    "A customer closed a conversation",
)
PAYMENT = _webhook(Event.PAYMENT, PaymentDataSerializer, "An Apple Pay payment ended")
SIGNIN = _webhook(Event.SIGNIN, SigninDataSerializer, "A customer signed in")
# Sent to one endpoint when an admin clicks "Send test event", whatever it subscribed to.
TEST = _webhook("webhook.test", TestEventDataSerializer, "An admin sent a test event")
