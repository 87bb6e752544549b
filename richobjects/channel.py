"""What sending needs from a business's channel settings (spec §9): Apple Pay and OAuth.

The settings live in ``integrations/``; this module is the only place the
library reaches into it. Whatever is not configured makes sending refuse with a
clear "configure … in channel settings" error instead of a half-built bubble.

``base_url`` is our public address as the device must reach it (the payment
gateway URL, the OAuth redirect URI): the sending request's host, else
``PUBLIC_BASE_URL`` (``integrations.selectors.absolute_url`` decides).

An Apple Pay bubble gets its own ``Payment`` (``payment_prepare``) with the
amount and request identifier recorded and a gateway URL of its own, so the
processor hears both on the device's first post. The business-wide gateway URL
(``merchant_settings_for``) is only used to check the spec before that and for
the text alternative; bubbles sent before per-payment URLs keep working on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from conversations.models import Business, Conversation

from .builders import MerchantSettings


@dataclass(frozen=True)
class OAuthSettings:
    """The business's OAuth provider as the authentication bubble needs it."""

    redirect_uri: str
    scope: tuple[str, ...] = field(default_factory=tuple)
    # The old AUTH flow: the public half of a P-384 key pair integrations keeps.
    response_encryption_key: str = ""


@dataclass(frozen=True)
class PreparedPayment:
    """A recorded payment and what its bubble needs: its own gateway URL and session."""

    payment_id: int
    merchant: MerchantSettings
    merchant_session: dict[str, Any] | None


def merchant_settings_for(
    business: Business, *, base_url: str | None = None
) -> MerchantSettings | None:
    """The business's Apple Pay merchant settings, or None when not configured."""
    from integrations.selectors import merchant_settings_for as read

    return read(business, base_url=base_url)


def payment_prepare(
    *,
    conversation: Conversation,
    request_identifier: str,
    amount: str,
    base_url: str | None = None,
) -> PreparedPayment:
    """Record the payment and fetch its merchant session (HTTP: no transaction open).

    Raises ``ApplicationError`` when Apple Pay is not set up or refuses a session.
    """
    from integrations.services import payment_request_prepare

    prepared = payment_request_prepare(
        conversation=conversation,
        request_identifier=request_identifier,
        amount=amount,
        base_url=base_url,
    )
    return PreparedPayment(
        payment_id=prepared.payment_id,
        merchant=prepared.merchant,
        merchant_session=prepared.merchant_session,
    )


def payment_abandon(*, payment_id: int, reason: str) -> None:
    """The prepared payment's bubble never went out: mark it failed, saying why."""
    from integrations.services import payment_request_abandon

    payment_request_abandon(payment_id=payment_id, reason=reason)


def oauth_settings_for(
    business: Business, *, base_url: str | None = None
) -> OAuthSettings | None:
    """The business's OAuth settings for sign-in bubbles, or None when not configured."""
    from integrations.services import oauth_library_inputs

    inputs = oauth_library_inputs(business, base_url=base_url)
    if inputs is None:
        return None
    return OAuthSettings(
        redirect_uri=inputs.redirect_uri,
        scope=inputs.scope,
        response_encryption_key=inputs.response_encryption_key,
    )
