"""DRF authentication by named API tokens (services/api_tokens.py).

``Authorization: Token msp_…`` or ``Bearer msp_…``. Keys without the prefix are
left to DRF's TokenAuthentication, next in the list, which keeps the older
per-user tokens working.
"""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from .api_keys import KEY_PREFIX, api_token_authenticate


class ApiTokenAuthentication(BaseAuthentication):
    keywords = (b"token", b"bearer")

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        parts = get_authorization_header(request).split()
        if len(parts) != 2 or parts[0].lower() not in self.keywords:
            return None
        try:
            key = parts[1].decode()
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed("Invalid token.") from exc
        if not key.startswith(KEY_PREFIX):
            return None
        token = api_token_authenticate(key)
        if token is None or not token.user.is_active:
            # One answer for unknown, revoked and expired keys.
            raise exceptions.AuthenticationFailed("Invalid or expired token.")
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return "Token"
