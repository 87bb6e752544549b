"""`make run`'s seed: a newcomer finds a library, canned replies, labels, teams and
named customers who already wrote in, and running it twice changes nothing."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from businesses.models import Team
from conversations.management.commands.seed_demo import DEMO_BUSINESS_ID
from conversations.models import Conversation, Label, Message
from richobjects.models import CannedReply, RichObject
from sandbox.models import SandboxCustomer

pytestmark = pytest.mark.django_db


def test_demo_seed_gives_a_newcomer_something_to_play_with(settings) -> None:
    settings.SANDBOX_ENABLED = True
    for _ in range(2):  # idempotent: make run seeds on every start
        call_command("seed_demo")
        call_command("seed_sandbox_demo", base_url="http://127.0.0.1:8000")

    published = set(
        RichObject.objects.filter(
            business__apple_id=DEMO_BUSINESS_ID, published_version__isnull=False
        ).values_list("kind", flat=True)
    )
    assert published >= {
        "quick_reply",
        "list_picker",
        "time_picker",
        "form",
        "imessage_app",
        "rich_link",
        "authentication",
        "apple_pay",
    }
    assert CannedReply.objects.filter(owner__isnull=True).count() == 4
    assert Label.objects.filter(business__apple_id=DEMO_BUSINESS_ID).count() == 4
    assert sorted(Team.objects.values_list("name", flat=True)) == ["Sales", "Support"]

    conversations = Conversation.objects.filter(
        business__apple_id=DEMO_BUSINESS_ID
    ).select_related("customer")
    names = sorted(c.customer.display_name for c in conversations)
    assert names == ["Aiko Tanaka", "Maria Garcia", "Tom Becker"]
    maria = conversations.get(customer__display_name="Maria Garcia")
    assert [label.name for label in maria.labels.all()] == ["shipping"]
    assert list(maria.messages.values_list("direction", flat=True)) == [
        Message.Direction.IN,
        Message.Direction.IN,
    ]
    # The customer's device knows the conversation too: the sandbox page shows it.
    device = SandboxCustomer.objects.get(opaque_id=maria.customer.apple_id)
    assert device.messages.count() == 2
