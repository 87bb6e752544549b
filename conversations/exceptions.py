"""Errors services raise for people, and the one DRF handler that shapes them."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler


class ApplicationError(Exception):
    """A rule of the product refused the request; the message is shown to the user."""

    status_code = 400
    code = "invalid"

    def __init__(
        self, message: str, *, code: str | None = None, extra: dict | None = None
    ):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.extra = extra or {}


class ConflictError(ApplicationError):
    status_code = 409
    code = "conflict"


class ConversationClosedError(ConflictError):
    """The customer closed the conversation: nothing goes to them until they write."""

    code = "conversation_closed"

    def __init__(
        self,
        message: str | None = None,
    ) -> None:
        super().__init__(
            message
            or gettext(
                "The customer closed this conversation; nothing can be sent until they write again."
            )
        )


class NotFoundError(ApplicationError):
    status_code = 404
    code = "not_found"


class PermissionDeniedError(ApplicationError):
    status_code = 403
    code = "permission_denied"


class ClientError(Exception):
    """An error reported to a WebSocket client as {"type": "error", "code": …}."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _error_body(code: str, message: str, fields: Any = None) -> dict:
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        # Always an object, as the schema says: errors not about one field too.
        error["fields"] = (
            fields if isinstance(fields, dict) else {"non_field_errors": fields}
        )
    return {"error": error}


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    """Every API error has the same shape: {"error": {"code", "message", "fields"?}}."""
    if isinstance(exc, ApplicationError):
        body = _error_body(exc.code, exc.message)
        body["error"].update(exc.extra)
        return Response(body, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        exc = drf_exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        )
    elif isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf_exceptions.PermissionDenied()

    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, drf_exceptions.ValidationError):
        response.data = _error_body(
            "invalid", gettext("The request has invalid fields."), response.data
        )
    else:
        detail = (
            response.data.get("detail", "") if isinstance(response.data, dict) else ""
        )
        code = getattr(getattr(exc, "default_code", None), "__str__", lambda: "error")()
        response.data = _error_body(code, str(detail))
    return response
