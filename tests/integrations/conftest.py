from __future__ import annotations

from collections.abc import Iterator

import pytest

from conversations.models import Business, Membership
from integrations.models import ApplePayMerchant, OAuthProvider, WebhookEndpoint
from sandbox.demo import merchant_certificate as demo_merchant_certificate
from tests.factories import MembershipFactory, UserFactory
from tests.integrations.stand_ins import (
    CLIENT_ID,
    CLIENT_SECRET,
    PROCESSOR_SECRET,
    WEBHOOK_SECRET,
    StandIn,
    start_stand_in,
)


def merchant_certificate() -> tuple[str, str]:
    """A self-signed merchant identity certificate and its key, both PEM."""
    return demo_merchant_certificate("merchant.com.example.bikes")


@pytest.fixture
def stand_in(settings: pytest.FixtureRequest) -> Iterator[StandIn]:
    stand_in, server = start_stand_in()
    settings.APPLE_PAY_SESSION_URL = f"{stand_in.url}/applepay/paymentSession"
    settings.PUBLIC_BASE_URL = "http://msp.test"
    yield stand_in
    server.shutdown()
    server.server_close()


@pytest.fixture
def admin(business: Business):
    user = UserFactory(username="ada")
    MembershipFactory(user=user, business=business, role=Membership.Role.ADMIN)
    return user


@pytest.fixture
def oauth_provider(business: Business, stand_in: StandIn) -> OAuthProvider:
    return OAuthProvider.objects.create(
        business=business,
        title="Acme Accounts",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        authorize_url="https://accounts.example.com/authorize",
        token_url=f"{stand_in.url}/oauth/token",
        scope="openid profile",
    )


@pytest.fixture
def merchant(business: Business, stand_in: StandIn) -> ApplePayMerchant:
    cert, key = merchant_certificate()
    return ApplePayMerchant.objects.create(
        business=business,
        merchant_identifier="merchant.com.example.bikes",
        merchant_name="Acme Bikes",
        verified_domain="pay.example.com",
        certificate_pem=cert,
        private_key_pem=key,
        processor_url=f"{stand_in.url}/processor",
        processor_secret=PROCESSOR_SECRET,
        country_code="US",
        currency_code="USD",
    )


@pytest.fixture
def endpoint(business: Business, stand_in: StandIn) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(
        business=business,
        url=f"{stand_in.url}/hooks",
        secret=WEBHOOK_SECRET,
        event_types=[e.value for e in WebhookEndpoint.Event],
    )
