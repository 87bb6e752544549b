from __future__ import annotations

import uuid

import factory
from django.contrib.auth import get_user_model

from conversations.models import (
    Business,
    Conversation,
    Customer,
    Label,
    Membership,
    Message,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"agent{n}")
    password = factory.django.Password("password")


class BusinessFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Business

    apple_id = factory.LazyFunction(lambda: str(uuid.uuid4()))
    name = factory.Sequence(lambda n: f"Business {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    business = factory.SubFactory(BusinessFactory)
    role = Membership.Role.AGENT


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    business = factory.SubFactory(BusinessFactory)
    apple_id = factory.Sequence(lambda n: f"urn:mbid:AQAAY-customer-{n}")


class ConversationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Conversation

    customer = factory.SubFactory(CustomerFactory)
    business = factory.SelfAttribute("customer.business")
    capabilities = ["AUTH", "AUTH2", "FORM", "LIST", "QUICK", "TIME"]
    device_agent = "iPhone OS"


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    conversation = factory.SubFactory(ConversationFactory)
    direction = Message.Direction.OUT
    body = factory.Sequence(lambda n: f"message {n}")
    status = Message.Status.SENT


# --- the feature apps ----------------------------------------------------------------


class AttachmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "conversations.Attachment"

    message = factory.SubFactory(MessageFactory, direction=Message.Direction.IN)
    name = factory.Sequence(lambda n: f"photo-{n}.jpg")
    mime_type = "image/jpeg"
    size = 1024


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "businesses.Team"

    business = factory.SubFactory(BusinessFactory)
    name = factory.Sequence(lambda n: f"Team {n}")


class WebhookEndpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "integrations.WebhookEndpoint"

    business = factory.SubFactory(BusinessFactory)
    url = "https://hooks.example.com/msp"
    secret = factory.Sequence(lambda n: f"whsec_test_{n}")
    event_types = ["message.received"]


class WebhookDeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "integrations.WebhookDelivery"

    endpoint = factory.SubFactory(WebhookEndpointFactory)
    event = "message.received"
    payload = factory.LazyFunction(dict)


class RichObjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "richobjects.RichObject"

    business = factory.SubFactory(BusinessFactory)
    name = factory.Sequence(lambda n: f"Object {n}")
    kind = "quick_reply"


class LabelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Label

    business = factory.SubFactory(BusinessFactory)
    name = factory.Sequence(lambda n: f"label-{n}")
    color = "#0071e3"
