"""What an API key looks like and how one is checked; no DRF here, so the
authentication class can import it while DRF is still loading its settings."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.utils import timezone

from .models import ApiToken

# Keys start with this, so a leaked one is recognisable (secret scanners) and the
# authentication class tells them from the older 40-hex-digit tokens.
KEY_PREFIX = "msp_"
# last_used_at is a hint for the owner, not an audit log: at most one write a minute.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_token_authenticate(key: str) -> ApiToken | None:
    """The live token a key names, with its user; marks it used."""
    token = (
        ApiToken.objects.select_related("user").filter(key_hash=key_hash(key)).first()
    )
    now = timezone.now()
    if token is None or (token.expires_at is not None and token.expires_at <= now):
        return None
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
