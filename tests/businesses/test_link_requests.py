"""Claiming an Apple Business ID needs proof: an operator's approval or signed
link; anonymous visitors learn nothing; sign-up and linking are rate limited
(issue 13 item 3)."""

from __future__ import annotations

import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.test import Client

from businesses.link_grants import link_grant_url
from businesses.models import BusinessLink, LinkRequest
from conversations.models import Business, Membership
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    cache.clear()


@pytest.fixture
def operator() -> Client:
    user = UserFactory(username="operator", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="link_any_business"))
    client = Client()
    client.force_login(user)
    return client


def signed_in(username: str) -> tuple[Client, object]:
    user = UserFactory(username=username)
    client = Client()
    client.force_login(user)
    return client, user


def test_a_squatter_cannot_claim_a_business_id(operator: Client) -> None:
    apple_id = str(uuid.uuid4())  # public: it is in every entry link
    squatter, _user = signed_in("squatter")
    response = squatter.post(
        f"/landing/?id={apple_id}", {"business": "new", "name": "Totally Acme"}
    )
    assert response.status_code == 202
    assert "waiting for your MSP operator" in response.content.decode()
    assert not Business.objects.filter(apple_id=apple_id).exists()
    assert not BusinessLink.objects.exists()
    # The operator sees it waiting, and refuses it.
    page = operator.get("/landing/requests/").content.decode()
    assert apple_id in page
    assert "squatter" in page
    request = LinkRequest.objects.get(apple_id=apple_id)
    operator.post("/landing/requests/", {"request": request.pk, "decision": "refuse"})
    request.refresh_from_db()
    assert request.status == LinkRequest.Status.REFUSED
    assert not Business.objects.filter(apple_id=apple_id).exists()


def test_an_approved_request_links_the_id_for_the_requester(operator: Client) -> None:
    apple_id = str(uuid.uuid4())
    owner, user = signed_in("brand-owner")
    owner.post(f"/landing/?id={apple_id}", {"business": "new", "name": "Acme"})
    request = LinkRequest.objects.get(apple_id=apple_id)
    response = operator.post(
        "/landing/requests/", {"request": request.pk, "decision": "approve"}
    )
    assert response.status_code == 302
    business = Business.objects.get(apple_id=apple_id)
    assert business.name == "Acme"
    assert Membership.objects.get(business=business).user == user
    assert BusinessLink.objects.get(apple_id=apple_id).linked_by == user


def test_only_operators_see_and_decide_requests() -> None:
    client, _ = signed_in("nosy")
    assert client.get("/landing/requests/").status_code == 404
    assert client.post("/landing/requests/", {"request": 1}).status_code == 404


def test_a_signed_link_is_for_its_id_only() -> None:
    apple_id, other = str(uuid.uuid4()), str(uuid.uuid4())
    grant = parse_qs(urlsplit(link_grant_url(other)).query)["grant"][0]
    client, _ = signed_in("reuser")
    for forged in (grant, grant[:-2] + "xx", "garbage"):
        response = client.post(
            f"/landing/?id={apple_id}&grant={forged}",
            {"business": "new", "name": "Acme"},
        )
        assert response.status_code == 202
    assert not Business.objects.filter(apple_id=apple_id).exists()


def test_anonymous_visitors_learn_nothing_about_a_linked_id(
    client: Client, business
) -> None:
    html = client.get(f"/landing/?id={business.apple_id}").content.decode()
    assert business.name not in html
    assert "already linked" not in html
    unknown = client.get(f"/landing/?id={uuid.uuid4()}").content.decode()
    # Linked or not, the page is the same apart from the ID itself.
    assert html.replace(business.apple_id, "X").count("<p") == unknown.count("<p")


def test_sign_up_is_rate_limited_per_address(client: Client, settings) -> None:
    settings.SIGNUP_RATE_LIMIT = "3/h"
    statuses = [
        client.post(
            "/landing/signup/",
            {"username": f"bot{i}", "password1": "x", "password2": "y"},
        ).status_code
        for i in range(5)
    ]
    assert statuses == [400, 400, 400, 429, 429]


def test_link_requests_are_rate_limited_per_user(settings) -> None:
    settings.LINK_RATE_LIMIT = "2/h"
    client, _ = signed_in("spammer")
    statuses = [
        client.post(
            f"/landing/?id={uuid.uuid4()}", {"business": "new", "name": "X"}
        ).status_code
        for _ in range(3)
    ]
    assert statuses == [202, 202, 429]
    assert LinkRequest.objects.count() == 2
