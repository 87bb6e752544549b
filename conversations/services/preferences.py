"""Agents' own preferences: the console's language."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext

from ..exceptions import ApplicationError
from ..models import AgentPreferences
from ..types import User


def preferences_get(*, user: User) -> AgentPreferences:
    preferences, _ = AgentPreferences.objects.get_or_create(user=user)
    return preferences


def preferences_set_language(*, user: User, language: str) -> AgentPreferences:
    """Choose the console's language ("" follows the browser)."""
    if language and language not in dict(settings.LANGUAGES):
        raise ApplicationError(
            gettext("Choose one of: %(codes)s, or nothing for the browser's language.")
            % {"codes": ", ".join(code for code, _name in settings.LANGUAGES)},
            code="invalid_language",
        )
    preferences = preferences_get(user=user)
    preferences.language = language
    preferences.save(update_fields=["language"])
    return preferences
