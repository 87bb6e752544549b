"""API errors speak the caller's language: English for a program unless its
Accept-Language asks otherwise, the agent's language in the console (session);
the error codes never change."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def _error(response) -> dict:
    return response.json()["error"]


def test_a_token_caller_gets_english_even_when_its_agent_chose_spanish(
    api_client: APIClient,
) -> None:
    assert api_client.put(
        "/api/v1/me/preferences/", {"language": "es"}, format="json"
    ).json() == {"language": "es"}

    missing = api_client.get("/api/v1/conversations/999999/")
    assert missing.status_code == 404
    assert _error(missing) == {"code": "not_found", "message": "No such conversation."}
    invalid = api_client.put(
        "/api/v1/me/preferences/", {"language": "xx"}, format="json"
    )
    assert invalid.status_code == 400
    assert _error(invalid)["code"] == "invalid"
    assert _error(invalid)["message"] == "The request has invalid fields."
    assert "language" in _error(invalid)["fields"]


def test_accept_language_asks_for_spanish_and_the_codes_stay(
    api_client: APIClient,
) -> None:
    missing = api_client.get("/api/v1/conversations/999999/", HTTP_ACCEPT_LANGUAGE="es")
    assert _error(missing) == {
        "code": "not_found",
        "message": "No existe esa conversación.",
    }
    assert missing["Content-Language"] == "es"
    invalid = api_client.put(
        "/api/v1/me/preferences/",
        {"language": "xx"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="es-ES,es;q=0.9",
    )
    assert _error(invalid)["code"] == "invalid"
    assert _error(invalid)["message"] == "La petición tiene campos no válidos."


def test_the_console_gets_the_agents_language(agent, api_client: APIClient) -> None:
    api_client.put("/api/v1/me/preferences/", {"language": "es"}, format="json")
    console = Client()
    console.force_login(agent)  # the preference rides in the session from here
    missing = console.get("/api/v1/conversations/999999/")
    assert _error(missing) == {
        "code": "not_found",
        "message": "No existe esa conversación.",
    }
    note = console.post(
        "/api/v1/conversations/999999/notes/",
        {"text": "x"},
        content_type="application/json",
    )
    assert _error(note)["code"] == "not_found"
