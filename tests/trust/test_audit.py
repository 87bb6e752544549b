"""The audit log: every write by a person or token is recorded, read only."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.contrib import admin
from django.test import Client, RequestFactory

from conversations.models import Membership
from integrations.models import WebhookEndpoint
from tests.factories import UserFactory
from trust.models import AuditEntry, ImmutableEntryError

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user(business):
    user = UserFactory(username="ada")
    Membership.objects.create(user=user, business=business, role=Membership.Role.ADMIN)
    return user


@pytest.fixture
def admin_console(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def test_assignment_by_token_is_recorded_with_actor_and_address(
    api_client, agent, conversation, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(
            f"/api/v1/conversations/{conversation.id}/assign/",
            {"assigned_agent": agent.id},
            format="json",
            REMOTE_ADDR="203.0.113.9",
        )
    assert response.status_code == 200
    entry = AuditEntry.objects.get(action="conversation.assigned")
    assert entry.business_id == conversation.business_id
    assert entry.actor_label == "alice"
    assert entry.changes == {"assignee": [None, "alice"]}
    assert entry.target_id == str(conversation.id)


def test_status_change_is_recorded(
    api_client, conversation, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        api_client.post(
            f"/api/v1/conversations/{conversation.id}/status/",
            {"status": "pending"},
            format="json",
        )
    entry = AuditEntry.objects.get(action="conversation.status")
    assert entry.changes == {"status": ["open", "pending"]}
    assert entry.actor_label == "alice"


def test_settings_change_records_before_and_after(admin_console, business) -> None:
    from tests.businesses.test_channel_settings import general, url

    response = admin_console.post(
        url(business), general(display_name="Acme Help"), REMOTE_ADDR="198.51.100.4"
    )
    assert response.status_code in (200, 302)
    entry = AuditEntry.objects.filter(action__startswith="channelsettings.").latest(
        "id"
    )
    assert entry.actor_label == "ada"
    assert entry.via == "console"
    assert entry.address == "198.51.100.4"
    assert entry.changes["display_name"][1] == "Acme Help"


def test_secrets_are_masked(admin_user, business) -> None:
    request = RequestFactory().post("/")
    request.user = admin_user
    from trust.context import _current

    token = _current.set(request)
    try:
        endpoint = WebhookEndpoint.objects.create(
            business=business, url="https://example.com/hook", secret="s3cr3t-value"
        )
        endpoint.secret = "another-secret"
        endpoint.save()
    finally:
        _current.reset(token)
    entries = AuditEntry.objects.filter(target_type="integrations.webhookendpoint")
    assert [e.action for e in entries.order_by("id")] == [
        "webhookendpoint.created",
        "webhookendpoint.changed",
    ]
    text = str(list(entries.values_list("changes", flat=True)))
    assert "s3cr3t" not in text
    assert "another-secret" not in text
    assert entries.order_by("id").last().changes == {"secret": ["•••", "•••"]}


def test_writes_without_a_person_are_not_logged_as_people(business) -> None:
    WebhookEndpoint.objects.create(
        business=business, url="https://example.com/h", secret="x"
    )
    assert not AuditEntry.objects.exists()


def test_sign_in_and_failure_are_recorded(agent, business) -> None:
    agent.set_password("correct horse")
    agent.save()
    client = Client()
    client.post("/accounts/login/", {"username": "alice", "password": "wrong"})
    client.post("/accounts/login/", {"username": "alice", "password": "correct horse"})
    actions = list(
        AuditEntry.objects.filter(business_id=business.id)
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["auth.sign_in_failed", "auth.signed_in"]
    assert "correct horse" not in str(
        list(AuditEntry.objects.values_list("changes", flat=True))
    )


def test_admins_browse_filter_and_export(
    admin_console,
    api_client,
    agent,
    conversation,
    business,
    django_capture_on_commit_callbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        api_client.post(
            f"/api/v1/conversations/{conversation.id}/assign/",
            {"assigned_agent": agent.id},
            format="json",
        )
        api_client.post(
            f"/api/v1/conversations/{conversation.id}/status/",
            {"status": "pending"},
            format="json",
        )
    page = admin_console.get(
        f"/console/businesses/{business.id}/audit/?action=conversation.assigned"
    )
    assert page.status_code == 200
    body = page.content.decode()
    assert "conversation.assigned" in body
    assert 'data-action="conversation.status"' not in body
    export = admin_console.get(f"/console/businesses/{business.id}/audit/export.csv")
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert rows[0][0] == "time"
    assert {row[4] for row in rows[1:]} >= {
        "conversation.assigned",
        "conversation.status",
    }
    bad = admin_console.get(f"/console/businesses/{business.id}/audit/?start=yesterday")
    assert bad.status_code == 400


def test_agents_and_strangers_cannot_read_the_log(agent, business) -> None:
    console = Client()
    console.force_login(agent)
    assert console.get(f"/console/businesses/{business.id}/audit/").status_code == 403
    stranger = Client()
    stranger.force_login(UserFactory(username="eve"))
    assert stranger.get(f"/console/businesses/{business.id}/audit/").status_code == 404
    assert (
        stranger.get(f"/console/businesses/{business.id}/audit/export.csv").status_code
        == 404
    )


def test_nobody_edits_the_log(business) -> None:
    entry = AuditEntry.objects.create(business_id=business.id, action="x")
    entry.action = "y"
    with pytest.raises(ImmutableEntryError):
        entry.save()
    with pytest.raises(ImmutableEntryError):
        entry.delete()
    model_admin = admin.site._registry[AuditEntry]
    request = RequestFactory().get("/")
    request.user = UserFactory(is_superuser=True, is_staff=True)
    assert not model_admin.has_change_permission(request, entry)
    assert not model_admin.has_delete_permission(request, entry)
    assert not model_admin.has_add_permission(request)


def test_invitation_and_membership_are_recorded_with_the_link_key_masked(
    admin_console, business
) -> None:
    from django.core.cache import cache

    from conversations.models import Invitation

    cache.clear()
    bob = UserFactory(username="bob", email="bob@example.com")
    response = admin_console.post(
        f"/console/businesses/{business.id}/agents/",
        {"invitee": "bob", "role": "agent"},
    )
    assert response.status_code == 201
    invitation = Invitation.objects.get()
    created = AuditEntry.objects.get(action="invitation.created")
    assert created.actor_label == "ada"
    assert created.changes["key"][1] == "•••"
    assert invitation.key not in json.dumps(
        list(AuditEntry.objects.values_list("changes", flat=True))
    )
    link = next(
        u for u in response.content.decode().split('"') if "/console/invitations/" in u
    )
    invitee = Client()
    invitee.force_login(bob)
    assert invitee.post(link[link.index("/console/") :]).status_code == 302
    added = AuditEntry.objects.get(action="membership.added")
    assert added.actor_label == "bob"
    assert added.business_id == business.id
