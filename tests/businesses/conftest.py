"""Actors for the businesses tests: an admin and an agent of one business, an outsider."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from PIL import Image

from conversations.models import Business, Membership
from tests.factories import BusinessFactory, MembershipFactory, UserFactory


@pytest.fixture
def admin_user(business: Business):
    user = UserFactory(username="ada")
    MembershipFactory(user=user, business=business, role=Membership.Role.ADMIN)
    return user


@pytest.fixture
def admin_client(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


@pytest.fixture
def agent_client(agent) -> Client:
    client = Client()
    client.force_login(agent)
    return client


@pytest.fixture
def other_business(db: None) -> Business:
    return BusinessFactory(name="Other Co")


def image_bytes(size: tuple[int, int] = (1200, 800), fmt: str = "JPEG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=fmt)
    return buffer.getvalue()
