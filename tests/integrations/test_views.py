from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from integrations.models import ApplePayMerchant, OAuthProvider, WebhookEndpoint
from tests.factories import BusinessFactory, MembershipFactory, UserFactory
from tests.integrations.conftest import merchant_certificate

pytestmark = pytest.mark.django_db

PAGES = ["oauth", "apple-pay", "webhooks"]


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("page", PAGES)
def test_agents_are_refused(page: str, business, agent) -> None:
    response = logged_in(agent).get(f"/integrations/businesses/{business.id}/{page}/")
    assert response.status_code == 403


@pytest.mark.parametrize("page", PAGES)
def test_admins_of_other_businesses_see_nothing(page: str, business) -> None:
    stranger = UserFactory(username="stranger")
    MembershipFactory(user=stranger, business=BusinessFactory(), role="admin")
    response = logged_in(stranger).get(
        f"/integrations/businesses/{business.id}/{page}/"
    )
    assert response.status_code == 404


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_is_sent_to_login(page: str, business) -> None:
    response = Client().get(f"/integrations/businesses/{business.id}/{page}/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_oauth_secret_is_stored_encrypted_and_never_shown_again(
    business, admin
) -> None:
    client = logged_in(admin)
    url = f"/integrations/businesses/{business.id}/oauth/"
    form = {
        "title": "Acme Accounts",
        "client_id": "cid",
        "client_secret_new": "top-secret-123",
        "authorize_url": "https://id.example.com/authorize",
        "token_url": "https://id.example.com/token",
        "scope": "openid  profile",
        "response_type": "code",
    }
    assert client.post(url, form).status_code == 302
    provider = OAuthProvider.objects.get(business=business)
    assert provider.client_secret == "top-secret-123"
    assert provider.scope == "openid profile"
    page = client.get(url).content.decode()
    assert "top-secret-123" not in page
    assert "set • replace" in page
    # Saving without a new secret keeps the old one.
    assert (
        client.post(url, {**form, "client_secret_new": "", "title": "New"}).status_code
        == 302
    )
    provider.refresh_from_db()
    assert (provider.title, provider.client_secret) == ("New", "top-secret-123")


def test_oauth_needs_a_secret_the_first_time_and_the_code_flow(business, admin) -> None:
    response = logged_in(admin).post(
        f"/integrations/businesses/{business.id}/oauth/",
        {
            "title": "x",
            "client_id": "c",
            "authorize_url": "https://a.example/a",
            "token_url": "https://a.example/t",
            "response_type": "token",
        },
    )
    assert response.status_code == 400
    assert "Enter the client secret." in response.content.decode()
    assert "code flow" in response.content.decode()


def test_apple_pay_upload_keeps_the_key_secret(business, admin) -> None:
    cert, key = merchant_certificate()
    client = logged_in(admin)
    url = f"/integrations/businesses/{business.id}/apple-pay/"
    response = client.post(
        url,
        {
            "merchant_identifier": "merchant.com.example",
            "merchant_name": "Acme",
            "verified_domain": "pay.example.com",
            "processor_url": "https://pay.example.com/hook",
            "processor_secret_new": "proc-secret-456",
            "supported_networks": ["visa", "masterCard"],
            "merchant_capabilities": ["supports3DS"],
            "country_code": "us",
            "currency_code": "usd",
            "certificate_file": SimpleUploadedFile("cert.pem", cert.encode()),
            "private_key_file": SimpleUploadedFile("key.pem", key.encode()),
        },
    )
    assert response.status_code == 302, response.content.decode()
    merchant = ApplePayMerchant.objects.get(business=business)
    assert merchant.private_key_pem == key
    assert merchant.processor_secret == "proc-secret-456"
    assert merchant.country_code == "US"
    page = client.get(url).content.decode()
    assert "PRIVATE KEY" not in page
    assert "proc-secret-456" not in page
    assert f"/integrations/pay/{merchant.gateway_token}/" in page


def test_apple_pay_refuses_a_file_that_is_no_certificate(business, admin) -> None:
    response = logged_in(admin).post(
        f"/integrations/businesses/{business.id}/apple-pay/",
        {
            "merchant_identifier": "m",
            "merchant_name": "n",
            "processor_url": "https://p.example/h",
            "processor_secret_new": "s",
            "supported_networks": ["visa"],
            "merchant_capabilities": ["supports3DS"],
            "country_code": "US",
            "currency_code": "USD",
            "certificate_file": SimpleUploadedFile("cert.pem", b"hello"),
        },
    )
    assert response.status_code == 400
    assert "Not a PEM X.509 certificate." in response.content.decode()


def test_webhook_secret_is_shown_once_and_the_log_lists_deliveries(
    business, admin
) -> None:
    client = logged_in(admin)
    url = f"/integrations/businesses/{business.id}/webhooks/"
    response = client.post(
        url,
        {"url": "https://hooks.example.com/msp", "event_types": ["payment", "signin"]},
    )
    assert response.status_code == 200
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret.startswith("whsec_")
    assert endpoint.secret in response.content.decode()
    endpoint.deliveries.create(
        event="payment", status="failed", attempts=3, response_code=500, error="boom"
    )
    page = client.get(url).content.decode()
    assert endpoint.secret not in page
    assert "boom" in page
    client.post(f"{url}{endpoint.id}/delete/")
    assert not WebhookEndpoint.objects.exists()


def test_agents_cannot_delete_endpoints(business, agent, endpoint) -> None:
    response = logged_in(agent).post(
        f"/integrations/businesses/{business.id}/webhooks/{endpoint.id}/delete/"
    )
    assert response.status_code == 403
    assert WebhookEndpoint.objects.exists()


def test_console_header_shows_who_the_customer_signed_in_as(
    conversation, agent
) -> None:
    from integrations.models import CustomerIdentity, Payment

    CustomerIdentity.objects.create(
        customer=conversation.customer,
        business=conversation.business,
        external_user_id="u-42",
        display_name="Jo Rider",
    )
    Payment.objects.create(
        business=conversation.business,
        conversation=conversation,
        amount="20.00",
        currency="USD",
        status="succeeded",
    )
    page = logged_in(agent).get(f"/console/c/{conversation.id}/").content.decode()
    assert "Signed in as <strong>Jo Rider (u-42)</strong>" in page
    assert "Payment 20.00 USD: Paid" in page
