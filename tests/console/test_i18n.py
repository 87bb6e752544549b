"""The console in the agent's language: Spanish complete, chosen per agent."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

from conversations.models import AgentPreferences

pytestmark = pytest.mark.django_db

LOCALE = Path(__file__).resolve().parent.parent.parent / "locale"


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_the_spanish_catalogue_is_complete(domain: str) -> None:
    po = (LOCALE / "es" / "LC_MESSAGES" / f"{domain}.po").read_text()
    entries = po.split("\n\n")[1:]
    assert len(entries) > 50
    untranslated = [
        entry
        for entry in entries
        if re.search(r'^msgstr(\[\d\])? ""$', entry, re.M) or "#, fuzzy" in entry
    ]
    assert untranslated == []


def test_an_agent_chooses_spanish_and_keeps_it_at_the_next_sign_in(
    api_client, agent, conversation
) -> None:
    browser = Client()
    browser.force_login(agent)
    assert "Bandeja de entrada" not in browser.get("/console/").content.decode()

    response = api_client.put(
        "/api/v1/me/preferences/", {"language": "es"}, format="json"
    )
    assert response.json() == {"language": "es"}
    assert AgentPreferences.objects.get(user=agent).language == "es"
    # A sign-in anywhere brings the choice along.
    fresh = Client()
    fresh.force_login(agent)
    page = fresh.get("/console/").content.decode()
    assert "Bandeja de entrada" in page
    assert 'lang="es"' in page
    assert "Marcar todo como leído" in page
    detail = fresh.get(f"/console/c/{conversation.id}/").content.decode()
    assert "Respuestas guardadas" in detail
    assert "Abierta" in detail  # model choices are translated too
    catalog = fresh.get("/jsi18n/").content.decode()
    assert "En directo" in catalog

    assert (
        api_client.put(
            "/api/v1/me/preferences/", {"language": "xx"}, format="json"
        ).status_code
        == 400
    )
    api_client.put("/api/v1/me/preferences/", {"language": ""}, format="json")
    again = Client()
    again.force_login(agent)
    assert "Bandeja de entrada" not in again.get("/console/").content.decode()


def test_the_browser_language_is_the_default(console: Client) -> None:
    page = console.get(
        "/console/", HTTP_ACCEPT_LANGUAGE="es-ES,es;q=0.9"
    ).content.decode()
    assert "Bandeja de entrada" in page
