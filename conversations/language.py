"""The agent's chosen language follows them to every browser they sign in from."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in

from .middleware import SESSION_KEY
from .models import AgentPreferences


def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is None or not hasattr(request, "session"):
        return
    language = (
        AgentPreferences.objects.filter(user_id=user.pk)
        .values_list("language", flat=True)
        .first()
    )
    if language:
        request.session[SESSION_KEY] = language
    else:
        request.session.pop(SESSION_KEY, None)


def connect() -> None:
    user_logged_in.connect(_logged_in, dispatch_uid="agent-language")
