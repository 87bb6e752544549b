"""The webhooks page's own actions: a test event, a redelivery, short reasons."""

from __future__ import annotations

import pytest
from django.test import Client

from integrations.models import WebhookDelivery, WebhookEndpoint
from integrations.templatetags.integrations_tags import short_reason
from tests.factories import BusinessFactory, MembershipFactory, UserFactory
from tests.integrations.contract import assert_matches_contract
from tests.integrations.stand_ins import WEBHOOK_SECRET, StandIn, verify_signature

pytestmark = pytest.mark.django_db


def admin_client(admin) -> Client:
    client = Client()
    client.force_login(admin)
    return client


def test_a_test_event_goes_through_the_signed_delivery_and_the_log(
    business,
    admin,
    endpoint: WebhookEndpoint,
    stand_in: StandIn,
    django_capture_on_commit_callbacks,
) -> None:
    client = admin_client(admin)
    base = f"/integrations/businesses/{business.id}/webhooks/"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{base}{endpoint.id}/test/")
    assert response.status_code == 302
    hook = stand_in.received("/hooks")[-1]
    assert verify_signature(WEBHOOK_SECRET, hook.headers["x-msp-signature"], hook.body)
    assert hook.json["type"] == "webhook.test"
    assert_matches_contract(hook.json)  # documented in the schema's webhooks
    delivery = WebhookDelivery.objects.get(event="webhook.test")
    assert (delivery.status, delivery.response_code) == ("succeeded", 200)
    page = client.get(base).content.decode()
    assert "webhook.test" in page
    assert "Redeliver" in page


def test_redelivery_sends_the_same_event_again(
    business, admin, endpoint, stand_in: StandIn, django_capture_on_commit_callbacks
) -> None:
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event="payment",
        payload={},
        status="failed",
        attempts=7,
        response_code=503,
        error="The endpoint answered 503 (Service Unavailable)",
    )
    client = admin_client(admin)
    url = (
        f"/integrations/businesses/{business.id}/webhooks/deliveries/"
        f"{delivery.id}/redeliver/"
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url).status_code == 302
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.error) == ("succeeded", 8, "")
    assert stand_in.received("/hooks")[-1].json["id"] == str(delivery.event_id)


def test_a_delivery_in_flight_is_not_sent_twice(
    business, admin, endpoint, stand_in: StandIn, django_capture_on_commit_callbacks
) -> None:
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, event="payment", payload={}, status="delivering"
    )
    client = admin_client(admin)
    url = (
        f"/integrations/businesses/{business.id}/webhooks/deliveries/"
        f"{delivery.id}/redeliver/"
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, follow=True)
    assert "still being sent" in response.content.decode()
    assert stand_in.received("/hooks") == []


def test_other_businesses_and_agents_cannot_test_or_redeliver(
    business, agent, endpoint
) -> None:
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, event="payment", payload={}, status="failed"
    )
    stranger = UserFactory(username="stranger")
    MembershipFactory(user=stranger, business=BusinessFactory(), role="admin")
    base = f"/integrations/businesses/{business.id}/webhooks/"
    for user, status in ((stranger, 404), (agent, 403)):
        client = admin_client(user)
        assert client.post(f"{base}{endpoint.id}/test/").status_code == status
        redeliver = f"{base}deliveries/{delivery.id}/redeliver/"
        assert client.post(redeliver).status_code == status
    delivery.refresh_from_db()
    assert delivery.status == "failed"
    assert not WebhookDelivery.objects.filter(event="webhook.test").exists()


def test_a_remote_page_never_fills_the_log() -> None:
    page = "<html><head><title>502</title></head><body>" + "<p>Bad gateway</p>" * 80
    reason = short_reason(page + "</body></html>")
    assert "<" not in reason
    assert len(reason) <= 120
    assert reason.startswith("502 Bad gateway")


def test_agents_get_the_styled_explanation(business, agent) -> None:
    client = admin_client(agent)
    response = client.get(f"/integrations/businesses/{business.id}/webhooks/")
    assert response.status_code == 403
    page = response.content.decode()
    assert 'id="forbidden"' in page
    assert "Back to the inbox" in page
    assert "topbar" in page


def test_the_settings_pages_speak_spanish(business, admin, agent) -> None:
    client = admin_client(admin)
    spanish = {"HTTP_ACCEPT_LANGUAGE": "es"}
    page = client.get(
        f"/integrations/businesses/{business.id}/webhooks/", **spanish
    ).content.decode()
    assert "Registro de entregas" in page
    assert "Tipos de evento" in page
    page = client.get(
        f"/console/businesses/{business.id}/get-started/", **spanish
    ).content.decode()
    assert "Invitar agentes" in page
    refused = admin_client(agent).get(
        f"/console/businesses/{business.id}/routing/", **spanish
    )
    assert refused.status_code == 403
    assert "Solo los administradores del negocio" in refused.content.decode()
