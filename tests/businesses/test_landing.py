from __future__ import annotations

import re
import uuid
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from businesses.link_grants import link_grant_url
from businesses.models import BusinessLink
from conversations.models import Business, Membership
from tests.factories import BusinessFactory, ConversationFactory, UserFactory

pytestmark = pytest.mark.django_db


def landing(apple_id: str, **extra: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"id": apple_id, **extra}.items())
    return f"/landing/?{query}"


def granted(apple_id: str, **extra: str) -> str:
    """The landing link with the operator's signed grant (linking needs proof)."""
    grant = parse_qs(urlsplit(link_grant_url(apple_id)).query)["grant"][0]
    return landing(apple_id, grant=grant, **extra)


def test_an_invalid_id_is_explained(client: Client):
    response = client.get(landing("not-a-uuid"))
    assert response.status_code == 400
    assert "does not carry a valid Apple Business ID" in response.content.decode()
    assert client.get("/landing/").status_code == 400


def test_anonymous_visitors_are_offered_sign_in_and_sign_up(client: Client):
    apple_id = str(uuid.uuid4())
    html = client.get(landing(apple_id, name="Acme")).content.decode()
    assert "/accounts/login/?next=" in html
    assert "/landing/signup/?next=" in html
    assert apple_id in html


def test_sign_up_logs_in_and_returns_to_the_landing_page(client: Client):
    next_url = landing(str(uuid.uuid4()))
    response = client.post(
        "/landing/signup/",
        {
            "username": "brand-owner",
            "password1": "a-Long-pass-9876",
            "password2": "a-Long-pass-9876",
            "next": next_url,
        },
    )
    assert response.status_code == 302
    assert response["Location"] == next_url
    assert "link-form" in client.get(next_url).content.decode()


def test_sign_up_ignores_foreign_next_urls(client: Client):
    response = client.post(
        "/landing/signup/",
        {
            "username": "b",
            "password1": "a-Long-pass-9876",
            "password2": "a-Long-pass-9876",
            "next": "https://evil.example/",
        },
    )
    assert response["Location"] == "/console/"


def test_linking_creates_a_business_with_the_user_as_admin(client: Client):
    user = UserFactory(username="owner")
    client.force_login(user)
    apple_id = str(uuid.uuid4())
    response = client.post(
        granted(apple_id, name="Acme%20Bikes", logo="https://cdn.example/logo.png"),
        {"business": "new", "name": "Acme Bikes"},
    )
    business = Business.objects.get(apple_id=apple_id)
    assert response.status_code == 302
    assert response["Location"] == f"/console/businesses/{business.pk}/get-started/"
    assert business.name == "Acme Bikes"
    assert business.logo_url == "https://cdn.example/logo.png"
    assert (
        Membership.objects.get(user=user, business=business).role
        == Membership.Role.ADMIN
    )
    assert BusinessLink.objects.get(apple_id=apple_id).linked_by == user


def test_relinking_a_linked_id_says_so_and_changes_nothing(
    client: Client, business, admin_user
):
    client.force_login(UserFactory(username="somebody-else"))
    response = client.get(landing(business.apple_id))
    html = response.content.decode()
    # Signed in but not one of its people: linked, but not to whom.
    assert "already linked to a business account" in html
    assert "Acme Bikes" not in html
    assert "link-form" not in html
    # Posting anyway (a stale tab) is refused by the service too.
    client.post(landing(business.apple_id), {"business": "new", "name": "Hijack"})
    assert Business.objects.get(apple_id=business.apple_id).name == "Acme Bikes"


def test_an_admin_links_the_id_to_an_existing_business_without_conversations(
    client: Client, business, admin_user
):
    client.force_login(admin_user)
    apple_id = str(uuid.uuid4())
    response = client.post(granted(apple_id), {"business": str(business.pk)})
    assert response.status_code == 302
    business.refresh_from_db()
    assert business.apple_id == apple_id


def test_a_business_with_conversations_keeps_its_id(
    client: Client, business, admin_user
):
    ConversationFactory(customer__business=business)
    client.force_login(admin_user)
    response = client.post(granted(str(uuid.uuid4())), {"business": str(business.pk)})
    assert response.status_code == 400
    assert "already has conversations" in response.content.decode()


def test_a_user_cannot_link_to_a_business_they_do_not_administer(
    client: Client, business, agent
):
    client.force_login(agent)
    response = client.post(landing(str(uuid.uuid4())), {"business": str(business.pk)})
    assert response.status_code == 400
    assert "Choose one of the business accounts listed" in response.content.decode()
    assert not BusinessLink.objects.exists()


def test_staff_flag_alone_does_not_make_an_operator(client: Client, business):
    staff = UserFactory(username="staff", is_staff=True)
    client.force_login(staff)
    response = client.post(landing(str(uuid.uuid4())), {"business": str(business.pk)})
    assert response.status_code == 400


def test_operators_link_to_any_business(client: Client, business):
    operator = UserFactory(username="operator", is_staff=True)
    operator.user_permissions.add(Permission.objects.get(codename="link_any_business"))
    client.force_login(operator)
    apple_id = str(uuid.uuid4())
    page = client.get(landing(apple_id)).content.decode()
    assert "You are an MSP operator" in page
    assert "Acme Bikes" in page
    response = client.post(landing(apple_id), {"business": str(business.pk)})
    assert response.status_code == 302
    business.refresh_from_db()
    assert business.apple_id == apple_id


def test_admins_only_see_their_own_businesses_to_link(client: Client, admin_user):
    BusinessFactory(name="Not Mine")
    client.force_login(admin_user)
    html = client.get(landing(str(uuid.uuid4()))).content.decode()
    assert "Acme Bikes" in html
    assert "Not Mine" not in html


def test_the_checklist_ticks_from_the_real_state(client: Client, business, admin_user):
    from businesses.models import ChannelSettings, EntryPoint
    from conversations.models import Invitation
    from richobjects.models import RichObject

    client.force_login(admin_user)
    url = f"/console/businesses/{business.pk}/get-started/"

    def done() -> set[str]:
        html = client.get(url).content.decode()
        return set(re.findall(r'data-step="([a-z-]+)" data-done="true"', html))

    assert done() == set()
    ChannelSettings.objects.create(business=business, logo_png=b"\x89PNG")
    EntryPoint.objects.create(business=business, name="Shop")
    Invitation.objects.create(
        business=business,
        invited_by=admin_user,
        invitee="ana",
        key="k" * 40,
        expires_at=timezone.now() + timedelta(days=1),
    )
    assert done() == {"settings", "logo", "entry-link", "agents"}
    RichObject.objects.create(
        business=business, name="Menu", kind=RichObject.Kind.values[0]
    )
    assert done() == {"settings", "logo", "entry-link", "agents", "library"}
    EntryPoint.objects.all().delete()
    assert "entry-link" not in done()
