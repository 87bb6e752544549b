"""The operator's signed link that lets one person link one Apple Business ID
without waiting for approval.

The grant names the Business ID and expires; it works once in effect, since a
linked ID cannot be linked again.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.core import signing
from django.urls import reverse

SALT = "businesses.link-grant"
MAX_AGE_SECONDS = 7 * 24 * 3600


def link_grant_url(apple_id: str) -> str:
    """The landing page path with a signed grant for ``apple_id``."""
    grant = signing.dumps({"id": apple_id}, salt=SALT, compress=True)
    return (
        f"{reverse('businesses:landing')}?{urlencode({'id': apple_id, 'grant': grant})}"
    )


def link_grant_valid(grant: str, apple_id: str) -> bool:
    if not grant:
        return False
    try:
        data = signing.loads(grant, salt=SALT, max_age=MAX_AGE_SECONDS)
    except signing.BadSignature:
        return False
    return isinstance(data, dict) and data.get("id") == apple_id
