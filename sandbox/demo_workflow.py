"""The demo's everyday half (``seed_sandbox_demo``): a starter library with one
published object of every interactive kind, canned replies, two teams, and a few
named customers who already wrote in through the same path Apple's traffic takes.

Idempotent: what exists is kept, so ``make run`` can run it every time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.contrib.auth import get_user_model

from conversations.apple.payloads import parse_inbound
from conversations.models import Business, Customer, Label
from conversations.services import (
    conversation_labels_set,
    customer_update,
    inbound_event_handle,
)
from conversations.types import User

from . import services
from .customer import Device, build_inbound
from .models import SandboxCustomer

logger = logging.getLogger(__name__)

# The sign-in and Apple Pay objects come from demo.py (they need the sandbox's
# provider); these are the rest of the interactive kinds.
STARTER_OBJECTS = [
    ("Starter: how can we help", "quick_reply"),
    ("Starter: pick a product", "list_picker"),
    ("Starter: book a tasting", "time_picker"),
    ("Starter: a few questions", "form"),
    ("Starter: open our app", "imessage_app"),
    ("Starter: our website", "rich_link"),
]

CANNED_REPLIES = [
    (
        "hi",
        "Greeting",
        "Hi {{customer.name}}, this is {{agent.name}} from {{business.name}}. How can I help?",
    ),
    (
        "thanks",
        "Thank you",
        "Thank you, {{customer.name}}! Anything else I can do for you?",
    ),
    (
        "shipping",
        "Shipping times",
        "Orders ship within 2 working days; you get a tracking link by e-mail.",
    ),
    ("bye", "Goodbye", "Have a great day, {{customer.name}} ☕"),
]

TEAMS = [("Support", ["agent", "admin"]), ("Sales", ["admin"])]


@dataclass(frozen=True)
class SampleCustomer:
    name: str
    device: str
    email: str
    lines: tuple[str, ...]
    labels: tuple[str, ...]


SAMPLES = [
    SampleCustomer(
        "Maria Garcia",
        "iphone",
        "maria@example.com",
        ("Hi! My order #1042 hasn't arrived yet 📦", "It was due on Monday."),
        ("shipping",),
    ),
    SampleCustomer(
        "Tom Becker",
        "mac",
        "",
        ("Do you have the Ethiopian decaf in stock?",),
        ("sales",),
    ),
    SampleCustomer(
        "Aiko Tanaka",
        "iphone",
        "aiko@example.com",
        ("Can I change my subscription to every two weeks?",),
        ("billing", "vip"),
    ),
]


def starter_library_seed(*, business: Business, actor: User) -> list[str]:
    from richobjects import services as rich_services
    from richobjects.models import RichObject
    from richobjects.preview import starter_spec

    done: list[str] = []
    for name, kind in STARTER_OBJECTS:
        if RichObject.objects.filter(business=business, name=name).exists():
            continue
        created = rich_services.rich_object_create(
            business=business, name=name, kind=kind, spec=starter_spec(kind), user=actor
        )
        rich_services.rich_object_publish(rich_object=created)
        done.append(f"library object {name!r}")
    return done


def canned_replies_seed(*, business: Business, actor: User) -> list[str]:
    from richobjects.models import CannedReply
    from richobjects.services.canned import canned_reply_create

    done: list[str] = []
    for code, title, body in CANNED_REPLIES:
        if CannedReply.objects.filter(
            business=business, short_code=code, owner__isnull=True
        ).exists():
            continue
        canned_reply_create(
            business=business,
            actor=actor,
            short_code=code,
            title=title,
            body=body,
            shared=True,
        )
        done.append(f"canned reply /{code}")
    return done


def teams_seed(*, business: Business) -> list[str]:
    from businesses.models import Team
    from businesses.services import team_save

    done: list[str] = []
    users = get_user_model().objects.filter(memberships__business=business)
    ids = {user.get_username(): user.pk for user in users}
    for name, members in TEAMS:
        if Team.objects.filter(business=business, name=name).exists():
            continue
        team_save(
            business=business,
            name=name,
            member_ids=[ids[m] for m in members if m in ids],
        )
        done.append(f"team {name!r}")
    return done


def sample_conversations_seed(*, business: Business, actor: User) -> list[str]:
    """Customers who wrote in: each message is Apple's request as the sandbox
    builds it, read by the webhook's own parser and service."""
    done: list[str] = []
    for sample in SAMPLES:
        if SandboxCustomer.objects.filter(
            business_apple_id=business.apple_id, display_name=sample.name
        ).exists():
            continue
        device = services.customer_create(
            business_apple_id=business.apple_id,
            device=sample.device,
            display_name=sample.name,
        )
        for line in sample.lines:
            request = build_inbound(
                Device(
                    device.opaque_id, business.apple_id, device.device, device.locale
                ),
                "text",
                {"body": line},
            )
            inbound_event_handle(event=parse_inbound(request.headers, request.content))
            services.customer_message_record(
                customer=device,
                apple_id=request.message_id,
                kind="text",
                body=request.payload,
                status=200,
                error="",
            )
        customer = Customer.objects.get(business=business, apple_id=device.opaque_id)
        customer = customer_update(
            customer=customer,
            actor=actor,
            changes={"display_name": sample.name, "email": sample.email},
        )
        labels = Label.objects.filter(business=business, name__in=sample.labels)
        conversation_labels_set(
            conversation=customer.conversation,
            actor=actor,
            add=[label.id for label in labels],
        )
        done.append(f"conversation from {sample.name}")
    return done


def demo_workflow_seed(*, business: Business, actor: User) -> list[str]:
    done: list[str] = []
    for step in (
        lambda: starter_library_seed(business=business, actor=actor),
        lambda: canned_replies_seed(business=business, actor=actor),
        lambda: teams_seed(business=business),
        lambda: sample_conversations_seed(business=business, actor=actor),
    ):
        done.extend(step())
    return done
