"""Password reset by e-mail: Django's signed single-use link, console templates."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from trust.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(agent):
    agent.email = "alice@example.com"
    agent.set_password("old password 123")
    agent.save()
    return agent


def test_reset_by_link_from_the_outbox(person, business) -> None:
    client = Client()
    assert b"Forgot your password?" in client.get("/accounts/login/").content
    response = client.post("/accounts/password-reset/", {"email": "alice@example.com"})
    assert response.url == "/accounts/password-reset/sent/"
    (message,) = mail.outbox
    assert message.to == ["alice@example.com"]
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+/)", message.body).group(1)
    form = client.get(link, follow=True)
    assert b"Choose a new password" in form.content
    done = client.post(
        form.redirect_chain[-1][0],
        {
            "new_password1": "a brand new secret 9",
            "new_password2": "a brand new secret 9",
        },
    )
    assert done.url == "/accounts/reset/done/"
    person.refresh_from_db()
    assert person.check_password("a brand new secret 9")
    assert AuditEntry.objects.filter(
        action="auth.password_reset", business_id=business.id
    ).exists()
    # The link works once.
    again = client.get(link, follow=True)
    assert b"This link no longer works" in again.content


def test_unknown_address_reveals_nothing(person) -> None:
    response = Client().post(
        "/accounts/password-reset/", {"email": "nobody@example.com"}
    )
    assert response.url == "/accounts/password-reset/sent/"
    assert mail.outbox == []


def test_a_forged_link_is_refused(person) -> None:
    page = Client().get("/accounts/reset/MQ/forged-token/", follow=True)
    assert b"This link no longer works" in page.content
    person.refresh_from_db()
    assert person.check_password("old password 123")
