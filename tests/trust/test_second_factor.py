"""Second factor: enrolment, sign-in in two steps, recovery codes, the business rule."""

from __future__ import annotations

import time

import pytest
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from conversations.models import Membership
from tests.factories import UserFactory
from trust.models import AuditEntry, SecurityPolicy

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"


def code(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """The app's code now, or ``steps_ahead`` steps later (a code is good once)."""
    generator = TOTP(
        device.bin_key, device.step, device.t0, device.digits, device.drift
    )
    generator.time = time.time() + steps_ahead * device.step
    return f"{generator.token():0{device.digits}d}"


@pytest.fixture
def person(agent):
    agent.set_password(PASSWORD)
    agent.save()
    return agent


def sign_in(client: Client, username: str = "alice"):
    return client.post("/accounts/login/", {"username": username, "password": PASSWORD})


def enrolled(client: Client) -> tuple[TOTPDevice, list[str]]:
    assert client.get("/accounts/2fa/setup/").status_code == 200
    device = TOTPDevice.objects.get(confirmed=False)
    response = client.post("/accounts/2fa/setup/", {"token": code(device)})
    assert response.status_code == 200
    codes = [c.decode() for c in response.content.split(b"<code>")[1:]]
    codes = [c.split("</code>")[0] for c in codes]
    return TOTPDevice.objects.get(pk=device.pk), codes


def test_enrol_then_sign_in_needs_the_code(person) -> None:
    client = Client()
    assert sign_in(client).status_code == 302
    page = client.get("/accounts/2fa/setup/")
    assert b'id="totp-qr" src="data:image/png;base64,' in page.content
    assert client.post("/accounts/2fa/setup/", {"token": "000000"}).status_code == 400
    time.sleep(1.1)  # django-otp throttles: 1 s after a wrong code, doubling
    device, codes = enrolled(client)
    assert device.confirmed
    assert len(codes) == 10
    assert AuditEntry.objects.filter(action="second_factor.enrolled").exists()

    fresh = Client()
    response = sign_in(fresh)
    assert response.url.startswith("/accounts/2fa/verify/")
    # The password alone reaches nothing: not the console, not its APIs.
    assert fresh.get("/console/").url.startswith("/accounts/login/")
    assert fresh.get("/api/v1/conversations/").status_code in (401, 403)
    assert fresh.post("/accounts/2fa/verify/", {"token": "123456"}).status_code == 400
    assert fresh.get("/console/").status_code == 302
    time.sleep(1.1)
    response = fresh.post(
        "/accounts/2fa/verify/", {"token": code(device, 1), "next": "/console/"}
    )
    assert response.status_code == 302
    assert fresh.get("/console/").status_code == 200
    assert AuditEntry.objects.filter(action="auth.second_factor_failed").exists()


def test_a_recovery_code_signs_in_once(person) -> None:
    client = Client()
    sign_in(client)
    _, codes = enrolled(client)
    for attempt, expected in ((1, 302), (2, 400)):
        other = Client()
        sign_in(other)
        response = other.post("/accounts/2fa/verify/", {"token": codes[0]})
        assert response.status_code == expected, attempt


def test_a_stolen_session_from_before_enrolment_is_ended(person) -> None:
    old = Client()
    sign_in(old)
    client = Client()
    sign_in(client)
    enrolled(client)
    assert old.get("/console/").url.startswith("/accounts/login/")
    assert client.get("/console/").status_code == 200


def test_an_unverified_session_of_a_user_with_a_device_is_sent_to_verify(
    person,
) -> None:
    client = Client()
    sign_in(client)
    enrolled(client)
    forced = Client()
    forced.force_login(person)
    assert forced.get("/console/").url == "/accounts/2fa/verify/"
    assert forced.get("/api/v1/conversations/").status_code == 403


def test_a_requiring_business_sends_members_to_enrolment(person, business) -> None:
    SecurityPolicy.objects.create(business=business, require_second_factor=True)
    client = Client()
    sign_in(client)
    assert client.get("/console/").url == "/accounts/2fa/setup/"
    enrolled(client)
    assert client.get("/console/").status_code == 200


def test_api_tokens_are_unaffected(person, business) -> None:
    SecurityPolicy.objects.create(business=business, require_second_factor=True)
    api = APIClient()
    token, _ = Token.objects.get_or_create(user=person)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get("/api/v1/conversations/").status_code == 200


def test_only_admins_set_the_rule_and_it_is_audited(person, business) -> None:
    agent_client = Client()
    sign_in(agent_client)
    assert (
        agent_client.post(f"/console/businesses/{business.id}/security/").status_code
        == 403
    )
    admin = UserFactory(username="ada")
    Membership.objects.create(user=admin, business=business, role=Membership.Role.ADMIN)
    admin_client = Client()
    admin_client.force_login(admin)
    response = admin_client.post(
        f"/console/businesses/{business.id}/security/", {"require_second_factor": "on"}
    )
    assert response.status_code == 302
    assert SecurityPolicy.objects.get(business=business).require_second_factor
    entry = AuditEntry.objects.filter(action__startswith="securitypolicy.").latest("id")
    assert entry.actor_label == "ada"
