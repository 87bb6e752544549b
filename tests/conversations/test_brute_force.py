"""Guessing passwords or flooding the API is stopped (issue 13 item 6)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from conversations.throttles import WriteThrottle
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "Correct-horse-battery-9"


@pytest.fixture
def victim():
    user = UserFactory(username="victim")
    user.set_password(PASSWORD)
    user.save()
    return user


def sign_in(client: Client, username: str, password: str, ip: str = "10.9.8.7"):
    return client.post(
        "/accounts/login/",
        {"username": username, "password": password},
        REMOTE_ADDR=ip,
    )


def test_many_wrong_passwords_lock_the_account_even_for_the_right_one(
    victim, settings
) -> None:
    client = Client()
    assert sign_in(client, "victim", "guess").status_code == 200  # the form again
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "victim", "guess")
    # Before: 40 wrong tries, then the right password worked.
    response = sign_in(client, "victim", PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_username_is_locked_from_other_addresses_too(victim, settings) -> None:
    for i in range(settings.AXES_FAILURE_LIMIT):
        sign_in(Client(), "victim", "guess", ip=f"10.0.0.{i + 1}")
    assert sign_in(Client(), "victim", PASSWORD, ip="10.1.1.1").status_code == 429


def test_one_address_spraying_usernames_is_locked(victim, settings) -> None:
    for i in range(settings.AXES_FAILURE_LIMIT):
        sign_in(Client(), f"user{i}", "guess", ip="10.2.2.2")
    assert sign_in(Client(), "victim", PASSWORD, ip="10.2.2.2").status_code == 429


def test_a_few_mistakes_do_not_lock_out(victim) -> None:
    client = Client()
    sign_in(client, "victim", "typo")
    assert sign_in(client, "victim", PASSWORD).status_code == 302


@pytest.mark.parametrize("password", ["password123", "12345678901", "victim2024"])
def test_weak_passwords_are_refused_at_sign_up(password: str) -> None:
    cache.clear()
    response = Client().post(
        "/landing/signup/",
        {"username": "victim2024", "password1": password, "password2": password},
    )
    assert response.status_code == 400


def test_token_writes_are_throttled(api_client, conversation, monkeypatch) -> None:
    monkeypatch.setattr(WriteThrottle, "THROTTLE_RATES", {"writes": "3/min"})
    cache.clear()
    url = f"/api/v1/conversations/{conversation.id}/typing/"
    statuses = [
        api_client.post(url, {"typing": True}, format="json").status_code
        for _ in range(5)
    ]
    assert statuses[3:] == [429, 429]
    # Reads stay open.
    assert api_client.get("/api/v1/conversations/").status_code == 200
