"""A business's URLs cannot make this server call inside its own network, and an
internal answer never shows in a log (issue 13 item 2)."""

from __future__ import annotations

import pytest
from django.test import Client

from integrations import services
from integrations.models import OAuthProvider, Payment, WebhookDelivery, WebhookEndpoint
from integrations.tasks import webhook_deliver
from tests.integrations.test_payments import device_post

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def public_only(settings) -> None:
    settings.ALLOWED_PRIVATE_NETWORKS = []


def test_a_webhook_to_an_internal_address_is_never_called(
    endpoint, stand_in, public_only
) -> None:
    (delivery_id,) = services.webhook_emit(
        business_id=endpoint.business_id, event="payment", data={"a": 1}
    )
    webhook_deliver.delay(delivery_id)
    delivery = WebhookDelivery.objects.get(id=delivery_id)
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert "not on the public internet" in delivery.error
    assert stand_in.received("/hooks") == []


def test_the_delivery_log_keeps_the_status_not_the_remote_body(
    endpoint, stand_in
) -> None:
    stand_in.hook_failures.append(403)  # answers {"error": "try again"}
    (delivery_id,) = services.webhook_emit(
        business_id=endpoint.business_id, event="payment", data={"a": 1}
    )
    webhook_deliver.delay(delivery_id)
    delivery = WebhookDelivery.objects.get(id=delivery_id)
    assert delivery.response_code == 403
    assert delivery.error == "The endpoint answered 403 (Forbidden)"
    assert "try again" not in delivery.error


def test_an_anonymous_payment_post_cannot_reach_an_internal_processor(
    conversation, merchant, stand_in, public_only
) -> None:
    payment = Payment.objects.create(
        business=conversation.business, conversation=conversation, amount="5.00"
    )
    response = device_post(f"/integrations/pay/{payment.token}/")
    assert response.json() == {"status": "STATUS_FAILURE"}
    assert stand_in.received("/processor") == []


def test_an_oauth_token_url_inside_is_never_called(
    conversation, oauth_provider, stand_in, public_only
) -> None:
    from integrations import clients

    with pytest.raises(clients.IntegrationError) as caught:
        clients.oauth_code_exchange(
            token_url=oauth_provider.token_url,
            client_id="c",
            client_secret="s",
            code="sandbox-code-1.zoe",
            redirect_uri="https://msp.test/cb",
        )
    assert caught.value.permanent
    assert stand_in.received("/oauth/token") == []


@pytest.mark.parametrize(
    "url", ["http://169.254.169.254/latest/", "http://127.0.0.1:6379/", "http://[::1]/"]
)
def test_internal_urls_are_refused_when_saved(
    business, admin, url: str, public_only
) -> None:
    client = logged_in(admin)
    response = client.post(
        f"/integrations/businesses/{business.id}/webhooks/",
        {"url": url, "event_types": ["payment"]},
    )
    assert response.status_code == 400
    assert "not on the public internet" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()

    response = client.post(
        f"/integrations/businesses/{business.id}/oauth/",
        {
            "title": "Acme",
            "client_id": "cid",
            "client_secret_new": "s",
            "authorize_url": "https://id.example.com/authorize",
            "token_url": url,
            "scope": "openid",
            "response_type": "code",
        },
    )
    assert response.status_code == 400
    assert "not on the public internet" in response.content.decode()
    assert not OAuthProvider.objects.exists()


def test_the_services_refuse_them_too(business, admin) -> None:
    from conversations.exceptions import ApplicationError

    with pytest.raises(ApplicationError, match="public internet"):
        services.webhook_endpoint_create(
            business=business,
            actor=admin,
            url="http://169.254.169.254/",
            event_types=["payment"],
        )
    with pytest.raises(ApplicationError, match="public internet"):
        services.apple_pay_save(
            business=business,
            actor=admin,
            fields={"processor_url": "http://10.0.0.8/charge"},
        )
