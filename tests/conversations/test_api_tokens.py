"""Named API tokens: several per user, hashed, shown once, listable, revocable,
with an optional expiry (issue 13, item 13)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token as LegacyToken
from rest_framework.test import APIClient

from conversations import api_keys
from conversations.models import ApiToken
from conversations.services import api_tokens
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

KEY = re.compile(r'value="(msp_[A-Za-z0-9_-]+)"')


def with_key(key: str, keyword: str = "Token") -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{keyword} {key}")
    return client


def create_in_console(user, name: str = "CRM sync", lifetime: str = "90") -> str:
    console = Client()
    console.force_login(user)
    page = console.post("/console/tokens/", {"name": name, "lifetime": lifetime})
    assert page.status_code == 201
    found = KEY.search(page.content.decode())
    assert found, "the new key is shown once"
    # …and only once.
    assert found.group(1) not in console.get("/console/tokens/").content.decode()
    return found.group(1)


def test_a_console_token_works_and_only_its_hash_is_stored(agent, conversation):
    key = create_in_console(agent)
    stored = ApiToken.objects.get(user=agent)
    assert key not in (stored.key_hash, stored.prefix)
    assert stored.key_hash == api_keys.key_hash(key)
    assert stored.expires_at is not None
    for keyword in ("Token", "Bearer"):
        listed = with_key(key, keyword).get("/api/v1/conversations/")
        assert listed.status_code == 200
        assert listed.json()["results"][0]["id"] == conversation.id
    stored.refresh_from_db()
    assert stored.last_used_at is not None


def test_several_named_tokens_are_listed_without_their_keys(agent):
    first = create_in_console(agent, "CRM sync")
    create_in_console(agent, "Reports", lifetime="never")
    listed = with_key(first).get("/api/v1/tokens/")
    assert listed.status_code == 200
    body = listed.json()
    assert [t["name"] for t in body["results"]] == ["Reports", "CRM sync"]
    assert body["results"][0]["expires_at"] is None
    assert first not in listed.content.decode()
    assert all("key" not in t for t in body["results"])


def test_a_revoked_token_is_refused_at_once(agent):
    key = create_in_console(agent)
    token = ApiToken.objects.get(user=agent)
    client = with_key(key)
    assert client.delete(f"/api/v1/tokens/{token.id}/").status_code == 204
    assert client.get("/api/v1/conversations/").status_code == 401
    # Revoking from the console page works the same way.
    other = create_in_console(agent, "Second")
    console = Client()
    console.force_login(agent)
    second = ApiToken.objects.get(user=agent)
    assert console.post(f"/console/tokens/{second.id}/revoke/").status_code == 302
    assert with_key(other).get("/api/v1/conversations/").status_code == 401


def test_nobody_lists_or_revokes_another_users_tokens(agent):
    create_in_console(agent)
    theirs = ApiToken.objects.get(user=agent)
    mallory = UserFactory(username="mallory")
    key = api_tokens.api_token_create(user=mallory, name="mine").key
    client = with_key(key)
    assert client.get("/api/v1/tokens/").json()["results"][0]["name"] == "mine"
    assert client.delete(f"/api/v1/tokens/{theirs.id}/").status_code == 404
    console = Client()
    console.force_login(mallory)
    assert console.post(f"/console/tokens/{theirs.id}/revoke/").status_code == 404
    assert ApiToken.objects.filter(pk=theirs.pk).exists()


def test_an_expired_token_is_refused(agent):
    issued = api_tokens.api_token_create(
        user=agent, name="short", expires_at=timezone.now() + timedelta(minutes=5)
    )
    assert with_key(issued.key).get("/api/v1/conversations/").status_code == 200
    ApiToken.objects.filter(pk=issued.token.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    refused = with_key(issued.key).get("/api/v1/conversations/")
    assert refused.status_code == 401
    assert "Invalid or expired token" in refused.content.decode()


def test_unknown_keys_are_refused(db):
    for key in ["msp_nope", "msp_" + "x" * 43]:
        assert with_key(key).get("/api/v1/conversations/").status_code == 401


def test_a_token_cannot_mint_more_tokens(agent):
    key = api_tokens.api_token_create(user=agent, name="ci").key
    response = with_key(key).post(
        "/api/v1/tokens/", {"name": "persistence"}, format="json"
    )
    assert response.status_code == 403
    assert ApiToken.objects.filter(user=agent).count() == 1


def test_a_signed_in_session_creates_a_token_through_the_api(agent):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(agent)
    browser.get("/console/")
    csrf = {"X-CSRFToken": browser.cookies["csrftoken"].value}
    expiry = (timezone.now() + timedelta(days=7)).isoformat()
    created = browser.post(
        "/api/v1/tokens/",
        {"name": "script", "expires_at": expiry},
        content_type="application/json",
        headers=csrf,
    )
    assert created.status_code == 201
    key = created.json()["key"]
    assert key.startswith("msp_")
    assert with_key(key).get("/api/v1/businesses/").status_code == 200


@pytest.mark.parametrize(
    "body",
    [{}, {"name": ""}, {"name": "x" * 101}, {"name": "a", "expires_at": "soon"}],
)
def test_bad_token_requests_get_a_clear_error(agent, body):
    browser = APIClient()
    browser.force_login(agent)
    assert browser.post("/api/v1/tokens/", body, format="json").status_code == 400


def test_a_past_expiry_is_refused(agent):
    console = APIClient()
    console.force_login(agent)
    past = (timezone.now() - timedelta(days=1)).isoformat()
    response = console.post(
        "/api/v1/tokens/", {"name": "old", "expires_at": past}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_expiry"


def test_older_per_user_tokens_still_work_and_can_be_revoked(agent, api_client):
    # api_client authenticates with rest_framework.authtoken's token (add_agent --token).
    assert api_client.get("/api/v1/conversations/").status_code == 200
    assert "Older token" in _console_page(agent)
    console = Client()
    console.force_login(agent)
    assert console.post("/console/tokens/legacy/revoke/").status_code == 302
    assert not LegacyToken.objects.filter(user=agent).exists()
    assert api_client.get("/api/v1/conversations/").status_code == 401


def _console_page(user) -> str:
    console = Client()
    console.force_login(user)
    return console.get("/console/tokens/").content.decode()
