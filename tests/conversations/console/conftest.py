"""Fixtures for the console: a signed-in browser-like client and a second tenant."""

from __future__ import annotations

import pytest
from django.test import Client

from conversations.models import Business, Conversation, Membership
from tests.factories import (
    BusinessFactory,
    ConversationFactory,
    MembershipFactory,
    UserFactory,
)


@pytest.fixture
def console(agent) -> Client:
    client = Client()
    client.force_login(agent)
    return client


@pytest.fixture
def admin_user(business: Business):
    user = UserFactory(username="ada")
    MembershipFactory(user=user, business=business, role=Membership.Role.ADMIN)
    return user


@pytest.fixture
def foreign_conversation(db: None) -> Conversation:
    other = BusinessFactory(name="Other Co")
    MembershipFactory(user=UserFactory(username="mallory"), business=other)
    return ConversationFactory(customer__business=other)
