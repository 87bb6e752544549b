"""What sending needs from a business's channel settings (spec §9): Apple Pay and OAuth.

The settings live in ``integrations/``, which registers a ``ChannelProvider``
here at start-up; this module is the only door between the two. Whatever is not configured makes sending refuse with a
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
from typing import Any, Protocol

from django.utils.translation import gettext

from conversations.exceptions import ApplicationError
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
class ChannelSummary:
    """What the studio shows of the channel settings beside an Apple Pay or
    sign-in object (never a secret): who is paid, who signs the customer in."""

    merchant_name: str = ""
    merchant_identifier: str = ""
    currency_code: str = ""
    oauth_title: str = ""
    oauth_scope: tuple[str, ...] = ()
    # Where an admin sets each up (pages of the app that owns them).
    merchant_settings_url: str = ""
    oauth_settings_url: str = ""


@dataclass(frozen=True)
class PreparedPayment:
    """A recorded payment and what its bubble needs: its own gateway URL and session."""

    payment_id: int
    merchant: MerchantSettings
    merchant_session: dict[str, Any] | None


class ChannelProvider(Protocol):
    """What an app that owns the channel settings offers the library.

    ``integrations`` registers one in its ``AppConfig.ready()``; the library
    never imports it (it sits beside the library, not under it).
    """

    def merchant_settings_for(
        self, business: Business, *, base_url: str | None = None
    ) -> MerchantSettings | None: ...

    def payment_prepare(
        self,
        *,
        conversation: Conversation,
        request_identifier: str,
        amount: str,
        base_url: str | None = None,
    ) -> PreparedPayment: ...

    def payment_abandon(self, *, payment_id: int, reason: str) -> None: ...

    def oauth_settings_for(
        self, business: Business, *, base_url: str | None = None
    ) -> OAuthSettings | None: ...

    def channel_summary(self, business: Business) -> ChannelSummary: ...


_provider: list[ChannelProvider] = []


def channel_provider_register(provider: ChannelProvider) -> None:
    _provider[:] = [provider]


def _registered() -> ChannelProvider | None:
    return _provider[0] if _provider else None


def merchant_settings_for(
    business: Business, *, base_url: str | None = None
) -> MerchantSettings | None:
    """The business's Apple Pay merchant settings, or None when not configured."""
    provider = _registered()
    if provider is None:
        return None
    return provider.merchant_settings_for(business, base_url=base_url)


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
    provider = _registered()
    if provider is None:
        raise ApplicationError(
            gettext("Apple Pay is not available: configure it in channel settings."),
            code="apple_pay_not_configured",
        )
    return provider.payment_prepare(
        conversation=conversation,
        request_identifier=request_identifier,
        amount=amount,
        base_url=base_url,
    )


def payment_abandon(*, payment_id: int, reason: str) -> None:
    """The prepared payment's bubble never went out: mark it failed, saying why."""
    provider = _registered()
    if provider is not None:
        provider.payment_abandon(payment_id=payment_id, reason=reason)


def oauth_settings_for(
    business: Business, *, base_url: str | None = None
) -> OAuthSettings | None:
    """The business's OAuth settings for sign-in bubbles, or None when not configured."""
    provider = _registered()
    if provider is None:
        return None
    return provider.oauth_settings_for(business, base_url=base_url)


def channel_summary(business: Business) -> ChannelSummary:
    """The merchant and sign-in provider the studio names (empty when not set up)."""
    provider = _registered()
    return ChannelSummary() if provider is None else provider.channel_summary(business)
