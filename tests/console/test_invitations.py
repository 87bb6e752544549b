"""Joining a business takes the invitee's consent: an admin invites, the invitee
accepts a signed, expiring, single-use link (issue 13, item 8)."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from conversations import services
from conversations.exceptions import PermissionDeniedError
from conversations.models import Invitation, Membership
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://[^\s\"<]+/console/invitations/[^\s\"<]+/")


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    cache.clear()


@pytest.fixture
def admin_client(admin_user, django_capture_on_commit_callbacks) -> Client:
    client = Client()
    client.force_login(admin_user)
    # The e-mail leaves after commit, as it does outside the test transaction.
    client.capture = django_capture_on_commit_callbacks  # type: ignore[attr-defined]
    return client


def invite(client: Client, business, invitee: str, role: str = "agent"):
    capture = getattr(client, "capture", None)
    if capture is None:
        return client.post(
            f"/console/businesses/{business.id}/agents/",
            {"invitee": invitee, "role": role},
        )
    with capture(execute=True):
        return client.post(
            f"/console/businesses/{business.id}/agents/",
            {"invitee": invitee, "role": role},
        )


def link_in(response) -> str:
    match = LINK.search(response.content.decode())
    assert match, "the page shows the invitation link once"
    return match.group(0)


def path_of(url: str) -> str:
    return url[url.index("/console/") :]


def test_inviting_adds_no_one_until_the_invitee_accepts(admin_client, business):
    bob = UserFactory(username="bob", email="bob@example.com")
    response = invite(admin_client, business, "bob")
    assert response.status_code == 201
    assert not Membership.objects.filter(user=bob, business=business).exists()
    assert (
        "bob"
        in admin_client.get(
            f"/console/businesses/{business.id}/agents/"
        ).content.decode()
    )

    # The link went to the account's address, and it is the one on screen.
    assert [m.to for m in mail.outbox] == [["bob@example.com"]]
    url = link_in(response)
    assert url in mail.outbox[0].body

    invitee = Client()
    invitee.force_login(bob)
    assert "Join Acme Bikes" in invitee.get(path_of(url)).content.decode()
    accepted = invitee.post(path_of(url))
    assert accepted.status_code == 302
    membership = Membership.objects.get(user=bob, business=business)
    assert membership.role == Membership.Role.AGENT
    assert Invitation.objects.get().status == Invitation.Status.ACCEPTED


def test_a_link_works_once(admin_client, business):
    bob = UserFactory(username="bob")
    url = path_of(link_in(invite(admin_client, business, "bob", role="admin")))
    invitee = Client()
    invitee.force_login(bob)
    assert invitee.post(url).status_code == 302
    Membership.objects.filter(user=bob).delete()
    # Removed later, the same link does not bring them back.
    assert invitee.post(url).status_code == 404
    assert not Membership.objects.filter(user=bob).exists()


def test_someone_else_cannot_accept_an_invitation_by_username(admin_client, business):
    UserFactory(username="bob")
    mallory = UserFactory(username="mallory")
    url = path_of(link_in(invite(admin_client, business, "bob")))
    thief = Client()
    thief.force_login(mallory)
    assert thief.post(url).status_code == 403
    assert not Membership.objects.filter(user=mallory).exists()
    assert Invitation.objects.get().status == Invitation.Status.PENDING


def test_an_address_invitation_lets_a_newcomer_sign_up_and_join(admin_client, business):
    response = invite(admin_client, business, "newcomer@example.com")
    assert [m.to for m in mail.outbox] == [["newcomer@example.com"]]
    url = path_of(link_in(response))
    visitor = Client()
    page = visitor.get(url).content.decode()
    assert f"/landing/signup/?next={quote(url)}" in page
    signed_up = visitor.post(
        "/landing/signup/",
        {
            "username": "newcomer",
            "password1": "a-Long-pass-9876",
            "password2": "a-Long-pass-9876",
            "next": url,
        },
    )
    assert signed_up["Location"] == url
    # Signing up alone joins nothing: accepting does.
    assert not Membership.objects.filter(user__username="newcomer").exists()
    assert visitor.post(url).status_code == 302
    assert Membership.objects.filter(
        user__username="newcomer", business=business
    ).exists()


def test_signed_out_accepting_goes_to_sign_in_first(admin_client, business):
    UserFactory(username="bob")
    url = path_of(link_in(invite(admin_client, business, "bob")))
    response = Client().post(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not Membership.objects.filter(user__username="bob").exists()


def test_revoked_expired_and_forged_links_are_refused(admin_client, business):
    bob = UserFactory(username="bob")
    invitee = Client()
    invitee.force_login(bob)

    revoked = path_of(link_in(invite(admin_client, business, "bob")))
    invitation = Invitation.objects.get()
    page = admin_client.post(
        f"/console/businesses/{business.id}/invitations/{invitation.id}/revoke/"
    )
    assert page.status_code == 302
    assert invitee.post(revoked).status_code == 404

    expired = path_of(link_in(invite(admin_client, business, "bob")))
    Invitation.objects.filter(status=Invitation.Status.PENDING).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert invitee.post(expired).status_code == 404

    fresh = path_of(link_in(invite(admin_client, business, "bob")))
    token = fresh.rstrip("/").rsplit("/", 1)[1]
    forged = fresh.replace(token, token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))
    assert invitee.post(forged).status_code == 404
    assert invitee.post("/console/invitations/not-a-token/").status_code == 404
    assert not Membership.objects.filter(user=bob).exists()
    # The genuine link still works.
    assert invitee.post(fresh).status_code == 302


def test_the_team_page_does_not_tell_which_accounts_exist(admin_client, business):
    UserFactory(username="bob", email="bob@example.com")
    existing = invite(admin_client, business, "bob")
    missing = invite(admin_client, business, "nobody-here")
    assert existing.status_code == missing.status_code == 201

    def scrubbed(response) -> str:
        # What the admin is told about this invitation (the team list and the
        # CSRF token differ between the two pages for other reasons).
        html = response.content.decode()
        told = html[html.index("<h2>Invite someone") : html.index("<h2>Pending")]
        told = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", told)
        return LINK.sub("LINK", told).replace("nobody-here", "bob")

    assert scrubbed(existing) == scrubbed(missing)
    pending = admin_client.get(f"/console/businesses/{business.id}/agents/")
    assert "nobody-here" in pending.content.decode()
    assert Invitation.objects.filter(status=Invitation.Status.PENDING).count() == 2


def test_bad_input_gets_a_clear_error_not_a_500(admin_client, business):
    for invitee in ["", "has spaces", "x" * 300, "a@", "<script>"]:
        assert invite(admin_client, business, invitee).status_code == 400
    assert invite(admin_client, business, "bob", role="owner").status_code == 400
    assert not Invitation.objects.exists()


def test_inviting_again_renews_the_link(admin_client, business):
    bob = UserFactory(username="bob")
    first = path_of(link_in(invite(admin_client, business, "bob")))
    second = path_of(link_in(invite(admin_client, business, "bob")))
    assert Invitation.objects.count() == 1
    invitee = Client()
    invitee.force_login(bob)
    assert invitee.post(first).status_code == 404
    assert invitee.post(second).status_code == 302


def test_only_admins_invite(agent, business, console):
    with pytest.raises(PermissionDeniedError):
        services.invitation_create(
            business=business,
            actor=agent,
            invitee="bob",
            role="agent",
            base_url="http://testserver/",
        )
    assert invite(console, business, "bob").status_code == 403
    assert not Invitation.objects.exists()


def test_admins_cannot_revoke_another_business_invitations(
    admin_client, business, foreign_conversation
):
    other = foreign_conversation.customer.business
    foreign = Invitation.objects.create(
        business=other, invitee="eve", key="k", expires_at=timezone.now()
    )
    url = f"/console/businesses/{business.id}/invitations/{foreign.id}/revoke/"
    assert admin_client.post(url).status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == Invitation.Status.PENDING


def test_invitations_are_rate_limited(admin_client, business, settings):
    settings.INVITATION_RATE_LIMIT = "2/h"
    assert invite(admin_client, business, "a@example.com").status_code == 201
    assert invite(admin_client, business, "b@example.com").status_code == 201
    assert invite(admin_client, business, "c@example.com").status_code == 429
    assert len(mail.outbox) == 2


def test_sign_up_does_not_say_a_username_exists(client: Client) -> None:
    UserFactory(username="taken")
    response = client.post(
        "/landing/signup/",
        {
            "username": "taken",
            "password1": "a-Long-pass-9876",
            "password2": "a-Long-pass-9876",
        },
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "already exists" not in html
    assert "not available" in html
    # A reserved name gets the very same answer.
    reserved = client.post(
        "/landing/signup/",
        {
            "username": "admin",
            "password1": "a-Long-pass-9876",
            "password2": "a-Long-pass-9876",
        },
    )
    assert "not available" in reserved.content.decode()
