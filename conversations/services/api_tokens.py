"""API tokens: several named keys per user, each with an optional expiry.

Only a hash is stored; the key itself is returned once, at creation. The older
one-per-user tokens of rest_framework.authtoken (``add_agent --token``) are still
accepted and can be revoked here too.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from rest_framework.authtoken.models import Token as LegacyToken

from ..api_keys import KEY_PREFIX, key_hash
from ..exceptions import ApplicationError, NotFoundError
from ..models import ApiToken
from ..types import User

logger = logging.getLogger(__name__)

MAX_TOKENS_PER_USER = 50


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    key: str


def api_token_create(
    *, user: User, name: str, expires_at: datetime | None = None
) -> IssuedToken:
    name = name.strip()
    if not name or len(name) > 100:
        raise ApplicationError(
            gettext("Give the token a name of at most 100 characters."),
            code="invalid_name",
        )
    if expires_at is not None and expires_at <= timezone.now():
        raise ApplicationError(
            gettext("The expiry must be in the future."), code="invalid_expiry"
        )
    with transaction.atomic():
        if ApiToken.objects.filter(user=user).count() >= MAX_TOKENS_PER_USER:
            raise ApplicationError(
                gettext("At most %(max_tokens_per_user)s tokens: revoke one first.")
                % {"max_tokens_per_user": MAX_TOKENS_PER_USER},
                code="too_many_tokens",
            )
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        token = ApiToken.objects.create(
            user=user,
            name=name,
            prefix=key[: len(KEY_PREFIX) + 6],
            key_hash=key_hash(key),
            expires_at=expires_at,
        )
    logger.info("api_token.created", extra={"token": token.pk, "user": user.pk})
    return IssuedToken(token=token, key=key)


def api_token_revoke(*, user: User, token_id: int) -> None:
    """The owner revokes one of their tokens; another user's is not found."""
    deleted, _ = ApiToken.objects.filter(pk=token_id, user=user).delete()
    if not deleted:
        raise NotFoundError(gettext("No such token."))
    logger.info("api_token.revoked", extra={"token": token_id, "user": user.pk})


def legacy_token_revoke(*, user: User) -> None:
    """Revoke the user's older single token (the one add_agent --token prints)."""
    deleted, _ = LegacyToken.objects.filter(user=user).delete()
    if not deleted:
        raise NotFoundError(gettext("No such token."))
