"""The agent's own language for the console, over the browser's."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation

# Where the preference rides between requests: the session is read anyway, so
# honouring it costs no query (it is copied from the database at sign-in).
SESSION_KEY = "agent_language"


class AgentLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        language = session.get(SESSION_KEY, "") if session is not None else ""
        if "authorization" in request.headers:
            # A program with a token: its Accept-Language alone decides
            # (LocaleMiddleware), English when it sends none.
            language = ""
        if language and translation.check_for_language(language):
            translation.activate(language)
            request.LANGUAGE_CODE = language
        response = self.get_response(request)
        if language:
            response.headers.setdefault("Content-Language", language)
        return response
