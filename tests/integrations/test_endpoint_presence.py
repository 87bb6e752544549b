"""Whether a business has webhook endpoints is remembered per process
(integrations/endpoint_presence.py): a customer message to a business without
any costs no query for it, and an endpoint starts receiving events at once when
saved in this process, within the memo's lifetime when saved in another."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from integrations import endpoint_presence
from integrations.models import WebhookDelivery, WebhookEndpoint
from tests.integrations.stand_ins import WEBHOOK_SECRET
from tests.integrations.test_webhooks import post_inbound

pytestmark = pytest.mark.django_db


def endpoint_queries(queries: CaptureQueriesContext) -> list[str]:
    table = WebhookEndpoint._meta.db_table
    return [q["sql"] for q in queries if table in q["sql"]]


def new_endpoint(business, stand_in, *, bulk: bool = False) -> WebhookEndpoint:
    endpoint = WebhookEndpoint(
        business=business,
        url=f"{stand_in.url}/hooks",
        secret=WEBHOOK_SECRET,
        event_types=[e.value for e in WebhookEndpoint.Event],
    )
    if bulk:
        # bulk_create sends no signal: what a save in another process looks like here.
        WebhookEndpoint.objects.bulk_create([endpoint])
    else:
        endpoint.save()
    return endpoint


def test_a_business_without_endpoints_is_asked_once(
    conversation, django_capture_on_commit_callbacks
) -> None:
    with (
        CaptureQueriesContext(connection) as first,
        django_capture_on_commit_callbacks(execute=True),
    ):
        post_inbound(conversation, "text", body="one")
    with (
        CaptureQueriesContext(connection) as second,
        django_capture_on_commit_callbacks(execute=True),
    ):
        post_inbound(conversation, "text", body="two")
    assert len(endpoint_queries(first)) == 1
    assert endpoint_queries(second) == []


def test_an_endpoint_saved_here_gets_the_next_message(
    conversation, stand_in, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        post_inbound(conversation, "text", body="before")
    new_endpoint(conversation.business, stand_in)
    with django_capture_on_commit_callbacks(execute=True):
        post_inbound(conversation, "text", body="after")
    texts = [
        hook.json["data"]["message"]["text"] for hook in stand_in.received("/hooks")
    ]
    assert texts == ["after"]


def test_an_endpoint_saved_elsewhere_is_seen_once_the_memo_expires(
    conversation, stand_in, django_capture_on_commit_callbacks, monkeypatch
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        post_inbound(conversation, "text", body="remembered: none")
    new_endpoint(conversation.business, stand_in, bulk=True)
    with django_capture_on_commit_callbacks(execute=True):
        post_inbound(conversation, "text", body="within the memo's lifetime")
    assert WebhookDelivery.objects.count() == 0
    monkeypatch.setattr(endpoint_presence, "TTL_SECONDS", 0.0)
    endpoint_presence.forget()  # what TTL_SECONDS passing does
    with django_capture_on_commit_callbacks(execute=True):
        post_inbound(conversation, "text", body="after it")
    texts = [
        hook.json["data"]["message"]["text"] for hook in stand_in.received("/hooks")
    ]
    assert texts == ["after it"]


def test_a_deleted_endpoint_is_forgotten_at_once(
    conversation, stand_in, django_capture_on_commit_callbacks
) -> None:
    endpoint = new_endpoint(conversation.business, stand_in)
    assert endpoint_presence.business_has_endpoints(conversation.business_id)
    endpoint.delete()
    assert not endpoint_presence.business_has_endpoints(conversation.business_id)
