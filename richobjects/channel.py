"""What sending needs from a business's channel settings (spec §9): Apple Pay and OAuth.

NOTE: channel settings are being built in ``integrations/`` (a change in
flight). Apple Pay reads ``integrations.selectors.merchant_settings_for`` when
it exists; OAuth (state nonce, redirect URI, legacy key pair kept by
integrations' sign-in requests) still returns None here. Whatever is not
configured makes sending refuse with a clear "configure … in channel settings"
error instead of a half-built bubble. Wire these to ``integrations`` here, and
nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from conversations.models import Business

from .builders import MerchantSettings


@dataclass(frozen=True)
class OAuthSettings:
    """The business's OAuth provider as the authentication bubble needs it."""

    redirect_uri: str
    scope: tuple[str, ...] = field(default_factory=tuple)
    # The old AUTH flow: the public half of a P-384 key pair integrations keeps.
    response_encryption_key: str = ""


def merchant_settings_for(business: Business) -> MerchantSettings | None:
    """The business's Apple Pay merchant settings, or None when not configured."""
    try:
        from integrations.selectors import merchant_settings_for as read
    except ImportError:
        return None
    return read(business)


def merchant_session_for(business: Business) -> dict | None:
    """An Apple Pay merchant session (needs the merchant certificate), or None."""
    from integrations.services import merchant_session_for as request_session

    return request_session(business)


def oauth_settings_for(business: Business) -> OAuthSettings | None:
    """The business's OAuth settings for sign-in bubbles, or None when not configured."""
    from integrations.services import oauth_library_inputs

    inputs = oauth_library_inputs(business)
    if inputs is None:
        return None
    return OAuthSettings(
        redirect_uri=inputs.redirect_uri,
        scope=inputs.scope,
        response_encryption_key=inputs.response_encryption_key,
    )
