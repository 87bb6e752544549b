"""Sign-in sessions: idle expiry, listing and ending one's other sessions."""

from __future__ import annotations

import time

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client

from conversations.consumers import AgentConsumer
from tests.factories import UserFactory
from trust.models import AuditEntry, UserSession
from trust.sessions import LAST_SEEN

PASSWORD = "correct horse battery"


def signed_in(user, agent_name: str) -> Client:
    client = Client(HTTP_USER_AGENT=agent_name)
    assert (
        client.post(
            "/accounts/login/", {"username": user.username, "password": PASSWORD}
        ).status_code
        == 302
    )
    return client


@pytest.fixture
def person(agent):
    agent.set_password(PASSWORD)
    agent.save()
    return agent


@pytest.mark.django_db
def test_agent_sees_and_ends_their_other_session(person) -> None:
    laptop = signed_in(person, "Laptop Firefox")
    phone = signed_in(person, "Phone Safari")
    page = laptop.get("/console/account/sessions/")
    assert b"Laptop Firefox" in page.content
    assert b"Phone Safari" in page.content
    phone_session = UserSession.objects.get(user_agent="Phone Safari")
    response = laptop.post(f"/console/account/sessions/{phone_session.pk}/end/")
    assert response.status_code == 302
    assert phone.get("/console/").url.startswith("/accounts/login/")
    assert laptop.get("/console/").status_code == 200
    assert not SessionStore().exists(phone_session.session_key)
    assert AuditEntry.objects.filter(
        action="session.ended", actor_label="alice"
    ).exists()


@pytest.mark.django_db
def test_nobody_ends_someone_elses_session(person) -> None:
    signed_in(person, "Laptop")
    theirs = UserSession.objects.get(user=person)
    mallory = UserFactory(username="mallory")
    mallory.set_password(PASSWORD)
    mallory.save()
    attacker = signed_in(mallory, "Evil")
    assert (
        attacker.post(f"/console/account/sessions/{theirs.pk}/end/").status_code == 404
    )
    assert SessionStore().exists(theirs.session_key)
    assert (
        attacker.get(f"/console/account/sessions/{theirs.pk}/end/").status_code == 405
    )


@pytest.mark.django_db
def test_an_idle_session_expires(person, settings) -> None:
    settings.SESSION_COOKIE_AGE = 3600
    client = signed_in(person, "Laptop")
    assert client.get("/console/").status_code == 200
    session = client.session
    session[LAST_SEEN] = time.time() - 3601
    session.save()
    response = client.get("/console/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")
    assert not UserSession.objects.exists()


@pytest.mark.django_db
def test_an_active_session_lives_on(person, settings) -> None:
    settings.SESSION_COOKIE_AGE = 3600
    client = signed_in(person, "Laptop")
    session = client.session
    session[LAST_SEEN] = time.time() - 3000
    session.save()
    assert client.get("/console/").status_code == 200
    assert client.session.get_expiry_age() > 3500


def test_the_default_idle_time_is_twelve_hours(settings) -> None:
    assert settings.SESSION_COOKIE_AGE == 12 * 3600


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_ending_a_session_closes_its_sockets_only(person) -> None:
    laptop = await database_sync_to_async(signed_in)(person, "Laptop")
    phone = await database_sync_to_async(signed_in)(person, "Phone")

    async def socket(client: Client) -> WebsocketCommunicator:
        key = client.cookies["sessionid"].value
        communicator = WebsocketCommunicator(AgentConsumer.as_asgi(), "/ws/console/")
        communicator.scope["user"] = person
        communicator.scope["session"] = await database_sync_to_async(SessionStore)(key)
        connected, _ = await communicator.connect()
        assert connected
        await communicator.receive_json_from()  # hello
        return communicator

    laptop_socket = await socket(laptop)
    phone_socket = await socket(phone)
    phone_row = await database_sync_to_async(UserSession.objects.get)(
        user_agent="Phone"
    )
    await database_sync_to_async(laptop.post)(
        f"/console/account/sessions/{phone_row.pk}/end/"
    )
    closed = await phone_socket.receive_output(timeout=1)
    assert closed == {"type": "websocket.close", "code": 4403}
    assert await laptop_socket.receive_nothing(timeout=0.2)
    await laptop_socket.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_no_socket_before_the_second_factor(person, business) -> None:
    from trust.models import SecurityPolicy

    await database_sync_to_async(SecurityPolicy.objects.create)(
        business=business, require_second_factor=True
    )
    client = await database_sync_to_async(signed_in)(person, "Laptop")
    key = client.cookies["sessionid"].value
    communicator = WebsocketCommunicator(AgentConsumer.as_asgi(), "/ws/console/")
    communicator.scope["user"] = person
    communicator.scope["session"] = await database_sync_to_async(SessionStore)(key)
    connected, code = await communicator.connect()
    assert not connected
    assert code == 4403
